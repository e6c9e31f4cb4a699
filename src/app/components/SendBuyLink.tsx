import { useMutation } from "@tanstack/react-query";
import { useLedgerApi } from "../api/hooks.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { Button } from "../deskpro/ui.js";
import { formatDate } from "../format.js";
import { ErrorNotice, Notice } from "./common.js";

/**
 * Puts a signed link to the bank's customer page (balance, usage, buy credits by card) into the
 * reply box of the ticket the agent has open, and shows it for copying elsewhere.
 */
export function SendBuyLink({ owner }: { owner: string }) {
  const api = useLedgerApi();
  const { client } = useDeskpro();
  const link = useMutation({
    mutationFn: async () => {
      const minted = await api.customerLink(owner);
      await client.deskpro().appendLinkToActiveTicketReplyBox(minted.url, "your support credits: balance and top-up", "Support credits");
      return minted;
    },
  });
  return (
    <div>
      <Button size="small" intent="secondary" text="Send buy link" loading={link.isPending} onClick={() => link.mutate()} />
      {link.error && <ErrorNotice error={link.error} context="No link was made." />}
      {link.data && (
        <Notice tone="success">
          Added to the reply box. The link shows this bank's balance and lets the customer buy credits; it works until{" "}
          {formatDate(new Date(link.data.expiresAt))}.
          <input
            readOnly
            aria-label="Buy link"
            value={link.data.url}
            onFocus={(e) => e.currentTarget.select()}
            style={{ width: "100%", marginTop: 4, fontSize: 11 }}
            data-testid="buy-link"
          />
        </Notice>
      )}
    </div>
  );
}
