import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from "react";
import type { Context, IDeskproClient } from "./sdk.js";

type AdminSettings = Record<string, unknown>;

interface Snapshot {
  ready: boolean;
  context: Context | null;
  adminSettings: AdminSettings | null;
}

/**
 * Holds what Deskpro has told the app. The SDK captures its event handlers when `run()` opens
 * the connection to the parent window, so they are registered once, before that, per client.
 */
class DeskproStore {
  private snapshot: Snapshot = { ready: false, context: null, adminSettings: null };
  private readonly listeners = new Set<() => void>();
  private readonly elementListeners = new Set<(id: string, type: string) => void>();

  constructor(readonly client: IDeskproClient) {
    const setContext = (context: Context) => {
      // The first context, marked for the start-up bench (`npm run bench -- app-load`).
      if (!this.snapshot.context) performance.mark("credits:context");
      this.update({ context });
    };
    client.onReady(setContext);
    client.onShow(setContext);
    client.onChange(setContext);
    client.onAdminSettingsChange((settings) => this.update({ adminSettings: settings }));
    client.onElementEvent((id: string, type: string) => this.elementListeners.forEach((l) => l(id, type)));
    client.run().then(
      () => {
        performance.mark("credits:sdk-ready");
        this.update({ ready: true });
      },
      (error: unknown) => console.error("Could not connect to Deskpro", error),
    );
  }

  private update(patch: Partial<Snapshot>) {
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.forEach((l) => l());
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = () => this.snapshot;

  onElementEvent(listener: (id: string, type: string) => void) {
    this.elementListeners.add(listener);
    return () => {
      this.elementListeners.delete(listener);
    };
  }
}

const stores = new WeakMap<IDeskproClient, DeskproStore>();
/**
 * The store for this client, made (and the handshake with Deskpro started) on first call.
 * main.tsx calls it before React's first render, so the handshake and React's work overlap.
 */
export function connectDeskpro(client: IDeskproClient): Pick<DeskproStore, "subscribe" | "getSnapshot"> {
  return storeFor(client);
}

function storeFor(client: IDeskproClient): DeskproStore {
  let store = stores.get(client);
  if (!store) {
    store = new DeskproStore(client);
    stores.set(client, store);
  }
  return store;
}

const DeskproReactContext = createContext<DeskproStore | null>(null);

export function DeskproProvider({ client, children }: { client: IDeskproClient; children: ReactNode }) {
  const store = storeFor(client);
  useAutoResize(store);
  return <DeskproReactContext.Provider value={store}>{children}</DeskproReactContext.Provider>;
}

function useStore(): DeskproStore {
  const store = useContext(DeskproReactContext);
  if (!store) throw new Error("DeskproProvider is missing");
  return store;
}

export function useDeskpro(): Snapshot & { client: IDeskproClient } {
  const store = useStore();
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return { ...snapshot, client: store.client };
}

/** Calls `listener` when the agent presses one of the app's header buttons (e.g. refresh). */
export function useElementEvents(listener: (id: string, type: string) => void): void {
  const store = useStore();
  useEffect(() => store.onElementEvent(listener), [store, listener]);
}

/** Deskpro sizes the sidebar iframe to what the app reports. */
function useAutoResize(store: DeskproStore) {
  useEffect(() => {
    if (typeof ResizeObserver === "undefined") return;
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => store.client.resize());
    });
    observer.observe(document.body);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, [store]);
}
