import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { createQueryClient } from "./api/hooks.js";
import { createClient } from "./deskpro/sdk.js";

const client = createClient({ runAfterPageLoad: false, resizeAfterEvents: false });
const root = document.getElementById("root");
if (root) createRoot(root).render(<App client={client} queryClient={createQueryClient()} />);
