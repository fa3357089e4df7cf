/** A serial range as stored in JSON and shown to clients: decimal text, both ends inclusive. */
export interface SerialRangeText {
  start: string;
  end: string;
}
