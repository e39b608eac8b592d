/** One problem in the mapping files, at the place it is written. */
export interface ConfigError {
  file: string;
  line: number;
  column: number;
  /** Dotted path inside the file, e.g. `sources.web.write_key`. */
  path: string;
  message: string;
}
