import { createLedgerApp } from "../../src/ledger/http/app.js";
import { openDatabase, type DatabaseOptions } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { WALLETS } from "./load.js";

/** A tenant whose banks hold plenty, so debits under load are refused only by a bug. */
export async function seedTenant(options: DatabaseOptions): Promise<{ tenantId: string; apiKey: string; seedKeys: number }> {
  const db = await openDatabase(options);
  try {
    await migrate(db);
    const tenant = await createTenant(db, { name: `faults-${Date.now()}` });
    const app = createLedgerApp({ db, log: () => undefined });
    for (let i = 1; i <= WALLETS; i++) {
      const response = await app.fetch(
        new Request(`http://seed/v1/wallets/org:${i}/grants`, {
          method: "POST",
          headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": `seed-${i}` },
          body: JSON.stringify({ amount: 1_000_000, reason: "seed" }),
        }),
      );
      if (response.status !== 201) throw new Error(`seed failed with ${response.status}`);
    }
    return { ...tenant, seedKeys: WALLETS };
  } finally {
    await db.close();
  }
}
