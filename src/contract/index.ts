/**
 * The contract between the Deskpro app, the ledger service and the tests: every request and
 * response is described here once, validated on both sides, and turned into the OpenAPI document.
 * A schema named with zod's `.meta({ id })` is a component of that document, referred to wherever
 * it is used, so a client generated from it has a type of that name. The app carries the names
 * only; it imports no OpenAPI library.
 */
export * from "./primitives.js";
export * from "./config.js";
export * from "./ledger.js";
export * from "./portal.js";
export * from "./stripe.js";
export * from "./alerts.js";
export * from "./deskpro-billing.js";
export * from "./setup.js";
export * from "./overage.js";
export * from "./words.js";
export * from "./finance.js";
export * from "./invoices.js";
export * from "./recharge.js";
export * from "./sidebar.js";
