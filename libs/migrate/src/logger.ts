/** The little this library reports while it works; `console` and pino loggers both fit. */
export interface MigrateLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: MigrateLogger = {
  info: () => undefined,
  warn: () => undefined,
};
