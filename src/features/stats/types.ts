export interface GuildStats {
  labels: number;
  labelsPerBreed: { breed: string; count: number }[];
  topLabellers: { userId: string; count: number }[];
  /** Share of labelled images whose labels all agree (null when nothing is labelled). */
  agreementRate: number | null;
  /** Images labelled by at least two people (what agreementRate is over). */
  agreementImages: number;
  /** The bot's first top guess against the people's resolved answer, over the labelled images that have one. */
  botMatch: { matched: number; compared: number };
  /** Pairs (predicted top-1 → labelled breed) that differ most often. */
  mostConfused: { predicted: string; labelled: string; count: number }[];
}
