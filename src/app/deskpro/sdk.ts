// Narrow imports from the SDK: its package root also exports its UI components, which would
// drag the whole UI kit, icon sets and a date picker into the initial bundle.
export { createClient, DeskproClient } from "@deskpro/app-sdk/esm/client/client.js";
export { proxyFetch, adminGenericProxyFetch } from "@deskpro/app-sdk/esm/proxy/helpers.js";
export type { Fetch } from "@deskpro/app-sdk/esm/proxy/types.js";
export type { Context, IDeskproClient } from "@deskpro/app-sdk/esm/client/types.js";
