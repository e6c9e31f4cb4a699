/**
 * A bank's statement, page by page with its filters, and a ticket's entries.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { Entry, EntryKind, TicketEntries } from "../../../contract/ledger.js";
import * as entries from "../../storage/entries.js";
import type { LedgerContext } from "../context.js";
import { InvalidRequest } from "../errors.js";
import { toApiEntry } from "../posting.js";

const CURSOR_PATTERN = /^[0-9a-z]{1,13}$/;

/** A statement's filters as the API takes them: whole UTC days, a ticket, a kind. */
export interface StatementFilter {
  from?: string;
  to?: string;
  ticketId?: string;
  kind?: EntryKind;
}

const DAY_MS = 86_400_000;
function toStorageFilter(filter: StatementFilter | undefined): entries.StatementFilter | null {
  if (!filter || Object.values(filter).every((v) => v === undefined)) return null;
  const day = (text: string, path: string) => {
    const at = new Date(`${text}T00:00:00.000Z`);
    if (Number.isNaN(at.getTime())) throw new InvalidRequest(`${path} is not a date.`, [{ path, message: "not a date" }]);
    return at;
  };
  return {
    from: filter.from ? day(filter.from, "from") : undefined,
    before: filter.to ? new Date(day(filter.to, "to").getTime() + DAY_MS) : undefined,
    ticketId: filter.ticketId,
    kind: filter.kind,
  };
}

const pageOf = (ctx: LedgerContext, tenantId: string, owner: string, limit: number, beforeSeq: number | null, filter: entries.StatementFilter | null) =>
  filter ? entries.filteredStatementPage(ctx.db, tenantId, owner, limit, beforeSeq, filter) : entries.statementPage(ctx.db, tenantId, owner, limit, beforeSeq);

export async function getStatement(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  limit: number,
  cursor: string | undefined,
  filter?: StatementFilter,
): Promise<{ entries: Entry[]; nextCursor: string | null }> {
  let beforeSeq: number | null = null;
  if (cursor !== undefined) {
    beforeSeq = CURSOR_PATTERN.test(cursor) ? parseInt(cursor, 36) : NaN;
    if (!Number.isSafeInteger(beforeSeq)) throw new InvalidRequest("The cursor is not one this API returned.", [{ path: "cursor", message: "invalid cursor" }]);
  }
  const rows = await pageOf(ctx, tenantId, owner, limit + 1, beforeSeq, toStorageFilter(filter));
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    entries: page.map(toApiEntry),
    nextCursor: rows.length > limit && last ? last.seq.toString(36) : null,
  };
}

/** Every page of a statement, newest first, for CSV export: a stream of pages, never the whole history in memory. */
export async function* statementPages(ctx: LedgerContext, tenantId: string, owner: string, pageSize = 1000, filter?: StatementFilter): AsyncGenerator<Entry[]> {
  let beforeSeq: number | null = null;
  const storageFilter = toStorageFilter(filter);
  for (;;) {
    const rows = await pageOf(ctx, tenantId, owner, pageSize, beforeSeq, storageFilter);
    if (rows.length === 0) return;
    yield rows.map(toApiEntry);
    if (rows.length < pageSize) return;
    beforeSeq = rows[rows.length - 1]!.seq;
  }
}

export const MAX_TICKET_ENTRIES = 1000;
const TICKET_DEBIT_KINDS = new Set(["manual", "time", "priority", "refund"]);

export async function getTicketEntries(ctx: LedgerContext, tenantId: string, ticketId: string): Promise<TicketEntries> {
  const rows = await entries.ticketEntries(ctx.db, tenantId, ticketId, MAX_TICKET_ENTRIES);
  const minutesOf = (unbilled: boolean) => rows.filter((e) => (e.kind === "unbilled") === unbilled).reduce((sum, e) => sum + (e.minutes ?? 0), 0);
  return {
    ticketId,
    entries: rows.map(toApiEntry),
    totals: {
      net: -rows.filter((e) => TICKET_DEBIT_KINDS.has(e.kind)).reduce((sum, e) => sum + e.amount, 0),
      minutes: minutesOf(false),
      unbilledMinutes: minutesOf(true),
    },
  };
}
