/** A "why?" picture as the application hands it out: the heatmap PNG and what it shows, no words. */
import type { HeatZone } from '../../model/explain/heat-zone.ts';

export interface Explanation {
  /** The breed the heatmap explains: the serving model's top breed for the photo, now. */
  breed: string;
  probability: number;
  /** The ninth of the photo with the most heat; null when greying no region changed the answer. */
  hottest: HeatZone | null;
  /** The photo with the heatmap over the square the model saw. */
  png: Buffer;
  width: number;
  height: number;
  /** Images the model embedded for it (the cost). */
  images: number;
}

/** Who asks for an explanation, and where (the rate limits and the server check). */
export interface ExplainRequester {
  userId: string;
  guildId: string | null;
}
