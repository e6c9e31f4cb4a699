import type { OutboxHandler } from "./outbox.js";

export const alertHandlers: Record<string, OutboxHandler> = {};
