/** The development host shows a message's web links as links, and nothing in a message as markup. */
import { describe, expect, it } from "vitest";
import { messageHtml } from "../../src/devhost/page/message-html.js";

describe("messageHtml", () => {
  it("makes http(s) addresses clickable, opening in a new tab, without the sentence's punctuation", () => {
    expect(messageHtml("Buy credits here: https://credits.example.com/pay/eyJ0.sig.")).toBe(
      'Buy credits here: <a href="https://credits.example.com/pay/eyJ0.sig" target="_blank" rel="noopener noreferrer">https://credits.example.com/pay/eyJ0.sig</a>.',
    );
    expect(messageHtml("(see http://127.0.0.1:8787/pay/x?a=1&b=2)")).toBe(
      '(see <a href="http://127.0.0.1:8787/pay/x?a=1&#38;b=2" target="_blank" rel="noopener noreferrer">http://127.0.0.1:8787/pay/x?a=1&#38;b=2</a>)',
    );
  });

  it("escapes everything else, and a quote can't leave the link's attribute", () => {
    expect(messageHtml('<script>alert(1)</script> https://x.example/"onmouseover="alert(1)')).toBe(
      '&#60;script&#62;alert(1)&#60;/script&#62; <a href="https://x.example/" target="_blank" rel="noopener noreferrer">https://x.example/</a>&#34;onmouseover=&#34;alert(1)',
    );
    expect(messageHtml("no links here")).toBe("no links here");
    expect(messageHtml("javascript:alert(1)")).toBe("javascript:alert(1)");
  });
});
