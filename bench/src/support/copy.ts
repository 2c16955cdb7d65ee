import type { Client } from 'pg';

/**
 * `COPY ... FROM STDIN` on a pg Client without pg-copy-streams (not a dependency): a
 * submittable that answers the server's CopyInResponse with the chunks, honouring socket
 * back-pressure. `chunks` yields COPY text-format data.
 */
export function copyFrom(client: Client, sql: string, chunks: Iterable<string>): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let failed: Error | undefined;
    const submittable = {
      submit(connection: any) {
        connection.query(sql);
      },
      async handleCopyInResponse(connection: any) {
        try {
          for (const chunk of chunks) {
            connection.sendCopyFromChunk(Buffer.from(chunk, 'utf8'));
            const socket = connection.stream;
            if (socket.writableNeedDrain) await new Promise((r) => socket.once('drain', r));
          }
          connection.endCopyFrom();
        } catch (e) {
          connection.sendCopyFail(String(e));
        }
      },
      handleCommandComplete(msg: { text?: string }) {
        const m = /COPY (\d+)/.exec(msg.text ?? '');
        if (m) rows = Number(m[1]);
      },
      handleReadyForQuery() {
        if (failed) reject(failed);
        else resolve(rows);
      },
      handleError(error: Error) {
        failed = error;
      },
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    (client as any).query(submittable);
  });
}

/** One value of a COPY text-format row (no NULLs here). */
export function copyText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
