/** One versioned schema migration: applied once, in order, and never edited after it has shipped. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
