/**
 * The classic feature ensemble: several frozen backbones see the same photo, their embeddings are concatenated,
 * and one head reads the concatenation.
 */
import { renormalised, type EmbedFn, type Normalisation } from './embedding-transforms.ts';

export interface EnsembleMember {
  id: string;
  embeddingDim: number;
  normalisation: Normalisation;
  /** Raw (unflipped) embeddings; the ensemble applies its own flip averaging. */
  embed: EmbedFn;
}

/** One embedding per input: each member's, in member order, end to end. */
export function concatenatedEmbed(members: readonly EnsembleMember[], input: Normalisation): EmbedFn {
  const dim = members.reduce((sum, m) => sum + m.embeddingDim, 0);
  return async (inputs) => {
    const perMember: Float32Array[][] = [];
    for (const member of members) {
      perMember.push(await member.embed(renormalised(inputs, input, member.normalisation)));
    }
    return inputs.map((_, i) => {
      const row = new Float32Array(dim);
      let at = 0;
      members.forEach((member, m) => {
        row.set(perMember[m]![i]!, at);
        at += member.embeddingDim;
      });
      return row;
    });
  };
}

export interface LinearClassifier {
  /** Row-major [embeddingDim, classes]. */
  kernel: Float32Array;
  bias: Float32Array;
  classes: number;
}

/**
 * The ensemble's exact day-0 classifier over the concatenated embedding: each member's ImageNet rows read its
 * own slice, scaled by 1/n, and the biases averaged. Its logits are the mean of the members' logits.
 */
export function averagedClassifier(
  members: readonly LinearClassifier[],
  ids: readonly string[],
): LinearClassifier {
  const classes = members[0]!.classes;
  members.forEach((m, i) => {
    if (m.classes !== classes) {
      throw new Error(`ensemble member ${ids[i]} has ${m.classes} classes, ${ids[0]} has ${classes}`);
    }
  });
  const n = members.length;
  const rows = members.reduce((sum, m) => sum + m.kernel.length / classes, 0);
  const kernel = new Float32Array(rows * classes);
  const bias = new Float32Array(classes);
  let at = 0;
  for (const member of members) {
    for (let i = 0; i < member.kernel.length; i++) kernel[at + i] = member.kernel[i]! / n;
    at += member.kernel.length;
    for (let c = 0; c < classes; c++) bias[c] = bias[c]! + member.bias[c]! / n;
  }
  return { kernel, bias, classes };
}
