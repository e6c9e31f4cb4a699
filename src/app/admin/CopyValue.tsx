import { useState } from "react";
import { usePalette } from "../components/common.js";
import { Button } from "../deskpro/ui.js";

/**
 * A value to paste somewhere in Deskpro, selectable in one click, with a Copy button. An iframe may
 * not be allowed the clipboard; then the button says to select and copy by hand.
 */
export function CopyValue({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const colors = usePalette();
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <div style={{ margin: "4px 0", minWidth: 0 }}>
      <div style={{ fontSize: 11, color: colors.muted }}>{label}</div>
      <div style={{ display: "flex", gap: 6, alignItems: "flex-start" }}>
        <code
          data-testid={testId}
          aria-label={label}
          style={{ userSelect: "all", wordBreak: "break-all", flex: "1 1 auto", minWidth: 0, color: colors.text, padding: "2px 0" }}
        >
          {value}
        </code>
        {/* never squeezed by a long value */}
        <div style={{ flex: "0 0 auto" }}>
          <Button intent="secondary" size="small" text={copied === "yes" ? "Copied" : "Copy"} onClick={() => void copy()} aria-label={`Copy ${label}`} />
        </div>
      </div>
      {copied === "no" && <div style={{ fontSize: 11, color: colors.low }}>The browser did not allow copying: select the value and copy it.</div>}
    </div>
  );
}
