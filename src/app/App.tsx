import { QueryClientProvider, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { LedgerApiContext, ticketSidebarQuery, walletQuery } from "./api/first-read.js";
import { LedgerApi } from "./api/ledger.js";
import { sidebarEndpoint } from "./api/transport.js";
import { ErrorNotice, Loading, Notice, SetupContext } from "./components/common.js";
import { targetFromContext, type AppTarget } from "./deskpro/context.js";
import { connectDeskpro, DeskproProvider, useDeskpro, useElementEvents } from "./deskpro/DeskproProvider.js";
import type { IDeskproClient } from "./deskpro/sdk.js";
import { ThemeProvider } from "./deskpro/ui.js";
import { appLightTheme, darkTheme, palette, usePrefersDark } from "./theme.js";

// The admin page is only ever opened by admins in the settings screen: keep it out of the
// sidebar's initial download.
const AdminPage = lazy(() => import("./admin/AdminPage.js"));
const ConnectPage = lazy(() => import("./admin/ConnectPage.js"));

// Deskpro opens the same page for every view; the sidebars are a chunk of their own (sidebars.ts),
// fetched once the context names the view, beside that view's first ledger read (which the first
// bundle asks for itself, in startApp, so it never waits on the chunk). That read's answer takes longer than the chunk.
// Not React.lazy: a view revealed by a Suspense retry whose forms (lazy themselves) still suspend
// is held back by React's fallback throttle (up to half a second); a state update isn't.
const loadTicketSidebar = () => import("./sidebars.js").then((m) => m.TicketSidebar);
const loadBankSidebar = () => import("./sidebars.js").then((m) => m.BankSidebar);

// A browser keeps a module that failed to load failed for the page's life: trying again is a reload.
const reloadApp = () => window.location.reload();

/** A module's export once `load` has loaded it (null until then), or the error that stopped it. */
function useLoaded<T>(load: (() => Promise<T>) | null): { value: T | null; error: unknown } {
  const [state, setState] = useState<{ load: () => Promise<T>; value?: T; error?: unknown } | null>(null);
  useEffect(() => {
    if (!load) return;
    let live = true;
    load().then(
      (value) => live && setState({ load, value }),
      (error: unknown) => live && setState({ load, error }),
    );
    return () => {
      live = false;
    };
  }, [load]);
  const current = state && state.load === load ? state : null;
  return { value: current?.value ?? null, error: current?.error ?? null };
}

/**
 * The view's first read, as its sidebar asks for it (the same query), to start as soon as the view
 * is known: its key, and the request (an answer already fresh in the cache is not asked again).
 */
function firstRead(queryClient: QueryClient, api: LedgerApi, target: AppTarget): { key: string; ask: () => Promise<void> } | null {
  const read = <T,>(query: { queryKey: readonly unknown[]; queryFn: () => Promise<T>; staleTime: number; retryOnMount: boolean }) => ({
    key: JSON.stringify(query.queryKey),
    ask: () => queryClient.prefetchQuery(query),
  });
  switch (target.kind) {
    case "ticket":
      return read(
        ticketSidebarQuery(api, target.ticketId, target.personId, { ticketOrg: target.ticketOrg?.id ?? null, personOrg: target.personOrg?.id ?? null }),
      );
    case "user":
      return read(walletQuery(api, `person:${target.personId}`));
    case "organisation":
      return read(walletQuery(api, `org:${target.orgId}`));
    case "unsupported":
      return null;
  }
}

function useHashRoute(): string {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

/** The sidebars' ledger client, one per Deskpro client: `startApp` and the sidebar it renders share it. */
const sidebarLedgers = new WeakMap<IDeskproClient, { api: LedgerApi; endpoint: ReturnType<typeof sidebarEndpoint> }>();
function sidebarLedger(client: IDeskproClient) {
  let ledger = sidebarLedgers.get(client);
  if (!ledger) {
    const endpoint = sidebarEndpoint(client);
    sidebarLedgers.set(client, (ledger = { api: new LedgerApi(endpoint), endpoint }));
  }
  return ledger;
}

const isSidebarRoute = (hash: string) => !hash.startsWith("#/admin") && !hash.startsWith("#/connect");

/**
 * What runs before React's first render: the handshake with Deskpro starts at once, and in a
 * sidebar a proxy token is asked for as soon as the SDK is connected, and the view's first read
 * and its chunk as soon as Deskpro's first context names the view. Neither waits for React to
 * render (the sidebar finds the read under way), and a token already in hand sends the read in
 * this same turn, before the chunk is asked for.
 */
export function startApp(client: IDeskproClient, queryClient: QueryClient): void {
  const deskpro = connectDeskpro(client);
  if (!isSidebarRoute(window.location.hash)) return;
  const { api, endpoint } = sidebarLedger(client);
  let warmed = false;
  const stop = deskpro.subscribe(() => {
    const { ready, context } = deskpro.getSnapshot();
    if (ready && !warmed) {
      warmed = true;
      endpoint.warmUp();
    }
    if (!context) return;
    stop();
    const target = targetFromContext(context);
    if (!target || target.kind === "unsupported") return;
    void firstRead(queryClient, api, target)?.ask();
    void (target.kind === "ticket" ? loadTicketSidebar() : loadBankSidebar()).catch(() => undefined);
  });
}

function Sidebar() {
  const { context, client, ready } = useDeskpro();
  const queryClient = useQueryClient();
  const { api } = sidebarLedger(client);
  const target = targetFromContext(context);
  // The settings page stores the verified configuration's version in its own (public) setting when
  // the admin saves; until then nothing is set up, and a refused key says so rather than "refused".
  const configured = context?.settings?.credits_configuration;
  const setup = useMemo(() => ({ connected: typeof configured === "string" && configured.trim() !== "" }), [configured]);

  useEffect(() => {
    if (ready) client.registerElement("refresh", { type: "refresh_button" });
  }, [client, ready]);
  useElementEvents(
    useCallback(
      (id: string) => {
        if (id === "refresh") void queryClient.invalidateQueries();
      },
      [queryClient],
    ),
  );

  // A later context (another ticket) asks for its view's first read here; the first one, startApp.
  const read = target ? firstRead(queryClient, api, target) : null;
  const readKey = read?.key ?? null;
  useEffect(() => {
    void read?.ask();
    // The key says which read this is; a new options object for the same read asks nothing again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryClient, readKey]);

  const ticketView = useLoaded(target?.kind === "ticket" ? loadTicketSidebar : null);
  const bankView = useLoaded(target?.kind === "user" || target?.kind === "organisation" ? loadBankSidebar : null);

  if (!target) return <Loading label="Waiting for Deskpro…" />;
  const view = target.kind === "ticket" ? ticketView : bankView;
  if (target.kind !== "unsupported" && view.error) return <ErrorNotice error={view.error} onRetry={reloadApp} context="The app couldn't load this view." />;
  const TicketSidebar = ticketView.value;
  const BankSidebar = bankView.value;
  if (target.kind !== "unsupported" && !view.value) return <Loading label={target.kind === "ticket" ? "Loading the paying bank…" : "Loading the bank…"} />;
  return (
    <LedgerApiContext.Provider value={api}>
      <SetupContext.Provider value={setup}>
        {target.kind === "ticket" && TicketSidebar && <TicketSidebar key={target.ticketId} target={target} />}
        {target.kind === "user" && BankSidebar && (
          <BankSidebar
            key={target.personId}
            owner={`person:${target.personId}`}
            name={target.personName}
            agent={target.agent}
            screen={{ screen: "person", personName: target.personName, organisation: target.personOrg }}
          />
        )}
        {target.kind === "organisation" && BankSidebar && (
          <BankSidebar key={target.orgId} owner={`org:${target.orgId}`} name={target.orgName} agent={target.agent} screen={{ screen: "organisation" }} />
        )}
        {target.kind === "unsupported" && <Notice tone="info">{target.reason}</Notice>}
      </SetupContext.Provider>
    </LedgerApiContext.Provider>
  );
}

function Themed({ children }: { children: React.ReactNode }) {
  const theme = usePrefersDark() ? darkTheme : appLightTheme;
  const colors = palette(theme);
  useEffect(() => {
    document.body.style.background = colors.background;
    document.body.style.color = colors.text;
    document.documentElement.style.colorScheme = theme.type;
    // index.html draws every keyboard focus ring in this colour.
    document.documentElement.style.setProperty("--focus-ring", colors.focus);
  }, [colors.background, colors.text, colors.focus, theme.type]);
  return <ThemeProvider theme={theme}>{children}</ThemeProvider>;
}

export function App({ client, queryClient }: { client: IDeskproClient; queryClient: QueryClient }) {
  const route = useHashRoute();
  return (
    <DeskproProvider client={client}>
      <QueryClientProvider client={queryClient}>
        <Themed>
          <div style={{ padding: "0 8px 8px", fontFamily: '"Noto Sans", system-ui, sans-serif', fontSize: 12 }}>
            {route.startsWith("#/connect") ? (
              <Suspense fallback={<Loading />}>
                <ConnectPage />
              </Suspense>
            ) : route.startsWith("#/admin") ? (
              <Suspense fallback={<Loading />}>
                <AdminPage />
              </Suspense>
            ) : (
              <Sidebar />
            )}
          </div>
        </Themed>
      </QueryClientProvider>
    </DeskproProvider>
  );
}
