/**
 * The contract between the Deskpro app, the ledger service and the tests: every request and
 * response is described here once, validated on both sides, and turned into the OpenAPI document.
 */
export * from "./primitives.js";
export * from "./config.js";
export * from "./ledger.js";
export * from "./portal.js";
export * from "./stripe.js";
export * from "./alerts.js";
