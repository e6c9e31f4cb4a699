import { createRoot } from "react-dom/client";
import { App, startApp } from "./App.js";
import { createQueryClient } from "./api/first-read.js";
import { createClient } from "./deskpro/sdk.js";

// Start-up marks for `npm run bench -- app-load` (the SDK's handshake and Deskpro's context are timed by DeskproProvider).
performance.mark("credits:script");
const client = createClient({ runAfterPageLoad: false, resizeAfterEvents: false });
const queryClient = createQueryClient();
startApp(client, queryClient);
const root = document.getElementById("root");
if (root) createRoot(root).render(<App client={client} queryClient={queryClient} />);
