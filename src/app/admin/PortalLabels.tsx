import { useEffect, useRef, useState } from "react";
import type { PortalTierLabels } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, Loading, Notice, Section, usePalette } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";

/**
 * The portal form's option titles are plain text in Deskpro: they show customers a price the app
 * can't change there. This lists the title each tier's option must carry for its current price,
 * what Deskpro has, and warns until they match (until then customers pay the lower of the two).
 */
export function PortalLabels({ api, configVersion, fieldStamp }: { api: AdminLedgerApi; configVersion: number; fieldStamp: string | null }) {
  const colors = usePalette();
  const [labels, setLabels] = useState<PortalTierLabels | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  const load = () => {
    setLoading(true);
    setError(null);
    api.portalTierLabels().then(
      (result) => {
        setLabels(result);
        setLoading(false);
      },
      (e: unknown) => {
        setError(e);
        setLoading(false);
      },
    );
  };
  // Read again after every saved configuration: a new price calls for a new title.
  useEffect(load, [api, configVersion]);
  // And whenever the setup guide sees the tier field or its options change (made, or an option
  // added); its first report is what was just read.
  const seenStamp = useRef<string | null>(null);
  useEffect(() => {
    const before = seenStamp.current;
    seenStamp.current = fieldStamp;
    if (before !== null && before !== fieldStamp) load();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- load is redefined every render; the stamp is the trigger
  }, [fieldStamp]);

  return (
    <Section title="Portal form: option titles">
      <P5 style={{ margin: "0 0 6px" }}>
        Customers see a tier's price only in its option's title on the portal form. Give each option in Deskpro (Admin → Tickets → Fields) exactly the title
        below.
      </P5>
      {loading && <Loading label="Reading the portal field from Deskpro…" />}
      {error !== null && <ErrorNotice error={error} onRetry={load} context="The portal field could not be read." />}
      {labels && labels.fieldId === null && <Notice tone="info">The portal flow is off: no tier field is set in the portal settings.</Notice>}
      {labels && labels.fieldId !== null && (
        <>
          {labels.allMatch ? (
            <Notice tone="success">Every option of “{labels.fieldTitle ?? `field ${labels.fieldId}`}” shows its tier's current price.</Notice>
          ) : (
            <Notice tone="warning">
              Some options show another price than their tier's. Until you change their titles in Deskpro, customers who pick them are charged the lower of the
              two.
            </Notice>
          )}
          <ul aria-label="Option titles" style={{ listStyle: "none", padding: 0, margin: "4px 0" }}>
            {labels.options.map((o) => (
              <li key={o.tier} data-testid={`label-${o.tier}`} style={{ padding: "4px 0", borderTop: `1px solid ${colors.border}`, fontSize: 12 }}>
                <div>
                  {/* its own line: an inline label and a wrapping title would share (and overlap in) one line box */}
                  <span style={{ display: "block", color: colors.muted }}>
                    {o.optionId === null ? `No option yet (${o.tier}):` : `Option ${o.optionId} (${o.tier}):`}
                  </span>
                  <code style={{ userSelect: "all", color: colors.text }}>{o.label}</code> {o.matches ? "✓" : ""}
                </div>
                {!o.matches && (
                  <div style={{ color: colors.lowText }}>{o.deskproTitle === null ? "Deskpro has no such option." : `Deskpro shows: ${o.deskproTitle}`}</div>
                )}
              </li>
            ))}
          </ul>
          <Button intent="secondary" size="small" text="Check again" onClick={load} />
        </>
      )}
    </Section>
  );
}
