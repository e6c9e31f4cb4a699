import { QueryClientProvider, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { LedgerApiContext } from "./api/hooks.js";
import { LedgerApi } from "./api/ledger.js";
import { sidebarEndpoint } from "./api/transport.js";
import { BankSidebar } from "./bank/BankSidebar.js";
import { Loading, Notice, SetupContext } from "./components/common.js";
import { targetFromContext } from "./deskpro/context.js";
import { DeskproProvider, useDeskpro, useElementEvents } from "./deskpro/DeskproProvider.js";
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

function Sidebar() {
  const { context, client, ready } = useDeskpro();
  const queryClient = useQueryClient();
  const endpoint = useMemo(() => sidebarEndpoint(client), [client]);
  const api = useMemo(() => new LedgerApi(endpoint), [endpoint]);
  const target = targetFromContext(context);
  // The settings page stores the verified configuration's version in its own (public) setting when
  // the admin saves; until then nothing is set up, and a refused key says so rather than "refused".
  const configured = context?.settings?.credits_configuration;
  const setup = useMemo(() => ({ connected: typeof configured === "string" && configured.trim() !== "" }), [configured]);

  useEffect(() => {
    if (!ready) return;
    endpoint.warmUp();
    client.registerElement("refresh", { type: "refresh_button" });
  }, [client, ready, endpoint]);
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
