/**
 * Starts a download of `text` as a CSV file. The app can't link to the ledger (every call goes
 * through Deskpro's proxy), so what the ledger answered is handed to the browser as a file.
 */
export function downloadCsv(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
