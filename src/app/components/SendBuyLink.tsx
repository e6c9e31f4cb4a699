import { useMutation } from "@tanstack/react-query";
import { useId } from "react";
import { useLedgerApi } from "../api/hooks.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { Button } from "../deskpro/ui.js";
import { formatDate } from "../format.js";
import { ErrorNotice, Notice } from "./common.js";

/**
 * A signed link to the bank's customer page (balance, usage, buy credits by card). On a ticket it
 * goes into the reply box; Deskpro's SDK doesn't say whether a reply box was open (its append
 * resolves with nothing), so the app says only what it knows: sent to the reply box if one is open,
 * and here to copy either way. A refused append is said plainly. Elsewhere the link is for copying.
 */
export function SendBuyLink({ owner, onTicket }: { owner: string; onTicket: boolean }) {
  const api = useLedgerApi();
  const { client } = useDeskpro();
  const inputId = useId();
  const link = useMutation({
    mutationFn: async () => {
      const minted = await api.customerLink(owner);
      if (!onTicket) return { minted, appended: false as const };
      try {
        await client.deskpro().appendLinkToActiveTicketReplyBox(minted.url, "your support credits: balance and top-up", "Support credits");
        return { minted, appended: true as const };
      } catch {
        return { minted, appended: "refused" as const };
      }
    },
  });
  const result = link.data;
  return (
    <div>
      <Button size="small" intent="secondary" text={onTicket ? "Send buy link" : "Get buy link"} loading={link.isPending} onClick={() => link.mutate()} />
      {link.error && <ErrorNotice error={link.error} context="No link was made." />}
      {result && (
        <Notice tone={result.appended === "refused" ? "warning" : "success"}>
          {result.appended === true && "Added to the ticket's reply box, if one is open. "}
          {result.appended === "refused" && "Deskpro didn't take the link into the reply box; copy it from here. "}
          The link shows this bank's balance and lets the customer buy credits; it works until {formatDate(result.minted.expiresAt)}.
          <label htmlFor={inputId} style={{ display: "block", fontSize: 11, marginTop: 4 }}>
            Buy link
          </label>
          <input
            id={inputId}
            readOnly
            value={result.minted.url}
            onFocus={(e) => e.currentTarget.select()}
            style={{ width: "100%", boxSizing: "border-box", fontSize: 11 }}
            data-testid="buy-link"
          />
        </Notice>
      )}
    </div>
  );
}
