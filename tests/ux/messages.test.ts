/** Messages customers and agents read: no empty or circular links, no doubled words, numbers as everywhere else. */
import { describe, expect, it } from "vitest";
import { AlertSettingsInput, PortalMessages } from "../../src/contract/index.js";
import { renderPlain, renderTemplate } from "../../src/ledger/features/message-template.js";

const alerts = AlertSettingsInput.parse({});
const portal = PortalMessages.parse({});
const REPLY = "Reply to this message if you would like to buy more credits.";

describe("customer messages without a buy link", () => {
  it("leave out the sentence that would end on an empty link and say what to do instead", () => {
    const low = renderPlain(alerts.lowMessage, { name: "Ada", balance: 1240, link: "" }, { withoutLink: REPLY });
    expect(low).toBe(`Hello Ada, your support credits are running low: 1,240 credits left. ${REPLY}`);
    const empty = renderPlain(alerts.depletedMessage, { name: "Ada", link: "" }, { withoutLink: REPLY });
    expect(empty).toBe(`Hello Ada, your support credits have run out. ${REPLY}`);
    const expiring = renderPlain(
      alerts.expiringMessage,
      { name: "Ada", credits: 300, rollover: null, date: "1 December 2026", balance: 800, link: "" },
      { withoutLink: REPLY },
    );
    expect(expiring).toBe(`Hello Ada, 300 of your support credits expire unused on 1 December 2026. Your balance is 800 credits. ${REPLY}`);
    const declined = renderPlain(
      portal.unaffordable,
      { tier: "1-hour response", price: 250, balance: 40, link: "" },
      { withoutLink: "Reply to this ticket if you would like to buy credits." },
    );
    expect(declined).toBe(
      "You chose 1-hour response (250 credits) but your balance is 40 credits, so this ticket keeps the standard response time. Reply to this ticket if you would like to buy credits.",
    );
    for (const text of [low, empty, expiring, declined]) expect(text).not.toMatch(/: ?$|here:|buy credits here/i);
  });

  it("keep the link, as an anchor, when there is one", () => {
    const html = renderTemplate(alerts.lowMessage, { name: "Ada", balance: 90, link: "https://credits.example.com/pay/abc" }, { withoutLink: REPLY });
    expect(html).toContain('You can top up here: <a href="https://credits.example.com/pay/abc">https://credits.example.com/pay/abc</a>');
    expect(html).not.toContain(REPLY);
  });
});

describe("words and numbers in messages", () => {
  it("says what rolls over beside what expires, and leaves the aside out when nothing does", () => {
    const values = { name: "Ada", credits: 300, date: "1 December 2026", balance: 1800, link: "https://x.example/pay" };
    expect(renderPlain(alerts.expiringMessage, { ...values, rollover: 500 })).toContain(
      "300 of your support credits expire unused on 1 December 2026 (500 more roll over into your next period).",
    );
    expect(renderPlain(alerts.expiringMessage, { ...values, rollover: null })).toContain("expire unused on 1 December 2026. Your balance is 1,800 credits.");
  });

  it("doesn't double a word a value ends with, or mention an alert level a notice doesn't have", () => {
    expect(renderPlain("The {tier} response is not part of your plan.", { tier: "1-hour response" })).toBe("The 1-hour response is not part of your plan.");
    expect(renderTemplate(portal.notOffered, { tier: "1-hour response" })).toBe(
      "1-hour response is not part of your plan, so this ticket keeps the standard response time.",
    );
    expect(renderPlain(alerts.agentNote, { event: "expiring (300 on 1 December 2026)", balance: 1800, level: null })).toBe(
      "Support credits expiring (300 on 1 December 2026): 1,800 credits left.",
    );
    expect(renderPlain(alerts.agentNote, { event: "running low", balance: 90, level: 1000 })).toBe(
      "Support credits running low: 90 credits left (alert level 1,000).",
    );
  });
});
