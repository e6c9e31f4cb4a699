import { useCallback, useEffect, useRef } from "react";

/**
 * Keeps keyboard focus in place across an action. A button pressed to start it is disabled while
 * it runs, and the browser drops its focus to the page; once `busy` is over, focus goes back to the
 * element remembered when the action started, if it is still there and nothing else took focus
 * meanwhile. Returns the function that remembers (call it as the action starts).
 */
export function useFocusReturn(busy: boolean): () => void {
  const before = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (busy) return;
    const element = before.current;
    before.current = null;
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (element?.isConnected && lost) element.focus();
  }, [busy]);
  return useCallback(() => {
    before.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  }, []);
}

/** After a refused submit: focus the first field marked invalid, once React has marked it (its error is read with it). */
export function focusFirstInvalid(form: HTMLElement | null) {
  setTimeout(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}
