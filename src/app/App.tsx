import { QueryClientProvider, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useDeferredValue, useEffect, useMemo, useState } from "react";
import { LedgerApiContext, ticketSidebarQuery } from "./api/hooks.js";
import { LedgerApi } from "./api/ledger.js";
import { sidebarEndpoint } from "./api/transport.js";
import { BankSidebar } from "./bank/BankSidebar.js";
import { Loading, Notice, SetupContext } from "./components/common.js";
import { targetFromContext } from "./deskpro/context.js";
import { connectDeskpro, DeskproProvider, useDeskpro, useElementEvents } from "./deskpro/DeskproProvider.js";
import type { IDeskproClient } from "./deskpro/sdk.js";
import { ThemeProvider } from "./deskpro/ui.js";
import { appLightTheme, darkTheme, palette, usePrefersDark } from "./theme.js";
import { TicketSidebar } from "./ticket/TicketSidebar.js";

// The admin page is only ever opened by admins in the settings screen: keep it out of the
// sidebar's initial download.
const AdminPage = lazy(() => import("./admin/AdminPage.js"));
const ConnectPage = lazy(() => import("./admin/ConnectPage.js"));

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
 * sidebar a proxy token is asked for as soon as the SDK is connected and the ticket sidebar's one
 * read as soon as Deskpro's first context names the ticket, so neither waits for React to render
 * the component that shows the answer (it finds the read under way).
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
    if (target?.kind !== "ticket") return;
    const orgs = { ticketOrg: target.ticketOrg?.id ?? null, personOrg: target.personOrg?.id ?? null };
    void queryClient.prefetchQuery(ticketSidebarQuery(api, target.ticketId, target.personId, orgs));
  });
}

function Sidebar() {
  const { context, client, ready } = useDeskpro();
  const queryClient = useQueryClient();
  const { api } = sidebarLedger(client);
  // A new context renders the sidebar as a transition, which yields to the browser between parts:
  // the first read's proxy token, arriving meanwhile, sends that read without waiting for the render.
  const target = useDeferredValue(useMemo(() => targetFromContext(context), [context]));
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

  if (!target) return <Loading label="Waiting for Deskpro…" />;
  return (
    <LedgerApiContext.Provider value={api}>
      <SetupContext.Provider value={setup}>
        {target.kind === "ticket" && <TicketSidebar key={target.ticketId} target={target} />}
        {target.kind === "user" && (
          <BankSidebar
            key={target.personId}
            owner={`person:${target.personId}`}
            name={target.personName}
            agent={target.agent}
            screen={{ screen: "person", personName: target.personName, organisation: target.personOrg }}
          />
        )}
        {target.kind === "organisation" && (
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
