/** /stats' figures over one server's labels (or every label). */
export interface GuildStats {
  labels: number;
  labelsPerBreed: { breed: string; count: number }[];
  topLabellers: { userId: string; count: number }[];
  /**
   * Among images labelled by at least two people, the share where everyone gave the same breed
   * (null when no image has two labels yet).
   */
  agreementRate: number | null;
  /** Images labelled by at least two people: what agreementRate is over. */
  agreementImages: number;
  /**
   * The bot's first top guess against the people's resolved answer: on how many labelled images (with a
   * resolved breed and a prediction in this scope) it was `matched` out of `compared`.
   */
  botMatch: { matched: number; compared: number };
  /** Pairs (the model's top-1 → the crowd's breed) that differ most often. */
  mostConfused: { predicted: string; labelled: string; count: number }[];
}
