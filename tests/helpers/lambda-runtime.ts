/**
 * A stand-in for AWS Lambda's Node.js runtime: a plain Node process (no tsx, no node_modules
 * within reach) that imports a bundled handler once and invokes it with one event at a time,
 * keeping the module warm between invocations as a Lambda instance does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname } from "node:path";

export interface LambdaInstance {
  invoke<T = unknown>(event: unknown, options?: { timeoutMs?: number }): Promise<T>;
  /** What the function printed (its logs). */
  logs(): string;
  stop(): Promise<void>;
}

const RESULT = "LAMBDA-RESULT ";

// Runs as an ES module in the child: reads one JSON invocation per line, answers one result line.
const RUNTIME = `
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
const { handler } = await import(pathToFileURL(process.env.LAMBDA_BUNDLE).href);
for await (const line of createInterface({ input: process.stdin })) {
  const { id, event, timeoutMs } = JSON.parse(line);
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true, functionName: "support-credits-ledger", functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:support-credits-ledger", memoryLimitInMB: "512",
    awsRequestId: id, logGroupName: "/aws/lambda/support-credits-ledger", logStreamName: "test",
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  let answer;
  try {
    answer = { id, result: await handler(event, context) };
  } catch (error) {
    answer = { id, error: String(error && error.stack || error) };
  }
  process.stdout.write(${JSON.stringify(RESULT)} + JSON.stringify(answer) + "\\n");
}
`;

export async function startLambdaInstance(bundle: string, env: Record<string, string>): Promise<LambdaInstance> {
  const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "--enable-source-maps", "-e", RUNTIME], {
    // Only what Lambda would give it: the function's own settings, and its folder as the working directory.
    env: { PATH: process.env.PATH ?? "", TZ: "UTC", LAMBDA_BUNDLE: bundle, ...env },
    cwd: dirname(bundle),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const waiting = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith(RESULT)) {
        output += `${line}\n`;
        continue;
      }
      const answer = JSON.parse(line.slice(RESULT.length)) as { id: string; result?: unknown; error?: string };
      const caller = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (answer.error !== undefined) caller?.reject(new Error(`the handler threw: ${answer.error}`));
      else caller?.resolve(answer.result);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      for (const caller of waiting.values()) caller.reject(new Error(`the runtime exited with ${code}:\n${output}`));
      waiting.clear();
      resolve();
    }),
  );
  let next = 0;
  // One event at a time, as one Lambda instance takes them.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    invoke: <T>(event: unknown, options: { timeoutMs?: number } = {}) => {
      const run = queue.then(
        () =>
          new Promise<T>((resolve, reject) => {
            const id = `invocation-${++next}`;
            waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
            child.stdin!.write(`${JSON.stringify({ id, event, timeoutMs: options.timeoutMs ?? 60_000 })}\n`);
          }),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    logs: () => output,
    stop: async () => {
      child.stdin!.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}
