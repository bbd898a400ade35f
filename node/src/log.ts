import { pino, type Logger } from "pino";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One JSON line per record on stdout; `name` tells the nodes of a demo apart. */
export function createLogger(name: string, level: LogLevel = "info"): Logger {
  return pino({ name, level, base: { node: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
