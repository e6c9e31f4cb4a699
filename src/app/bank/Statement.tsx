import { useInfiniteQuery } from "@tanstack/react-query";
import { keys, useLedgerApi } from "../api/hooks.js";
import { ErrorNotice, Loading, usePalette } from "../components/common.js";
import { describeEntry } from "../components/entries.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDateTime, formatSignedCredits } from "../format.js";

export const STATEMENT_PAGE_SIZE = 10;

/** The bank's statement, newest first, a page at a time. */
export function Statement({ owner }: { owner: string }) {
  const api = useLedgerApi();
  const colors = usePalette();
  const statement = useInfiniteQuery({
    queryKey: keys.statement(owner),
    queryFn: ({ pageParam }) => api.statement(owner, { limit: STATEMENT_PAGE_SIZE, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  if (statement.isPending) return <Loading label="Loading the statement…" />;
  if (statement.error && !statement.data) return <ErrorNotice error={statement.error} onRetry={() => void statement.refetch()} />;
  const entries = statement.data?.pages.flatMap((p) => p.entries) ?? [];
  if (entries.length === 0) return <P5>No entries yet.</P5>;
  return (
    <div>
      <ul style={{ listStyle: "none", margin: 0, padding: 0 }} aria-label="Statement">
        {entries.map((e) => (
          <li key={e.id} style={{ padding: "4px 0", borderBottom: `1px solid ${colors.track}`, fontSize: 12 }}>
            <Stack justify="space-between" align="baseline">
              <span style={{ color: colors.text }}>{describeEntry(e)}</span>
              <span style={{ color: e.amount < 0 ? colors.text : colors.ok, fontWeight: 600 }}>{formatSignedCredits(e.amount)}</span>
            </Stack>
            <Stack justify="space-between" style={{ color: colors.muted, fontSize: 11 }}>
              <span>
                {formatDateTime(e.createdAt)}
                {e.ticketId ? ` · ticket #${e.ticketId}` : ""}
                {e.reason ? ` · ${e.reason}` : ""}
              </span>
              <span>= {formatCredits(e.balanceAfter)}</span>
            </Stack>
          </li>
        ))}
      </ul>
      {statement.error && <ErrorNotice error={statement.error} />}
      {statement.hasNextPage && (
        <Button
          intent="secondary"
          size="small"
          text="Show older entries"
          loading={statement.isFetchingNextPage}
          disabled={statement.isFetchingNextPage}
          onClick={() => void statement.fetchNextPage()}
          style={{ marginTop: 6 }}
        />
      )}
    </div>
  );
}
