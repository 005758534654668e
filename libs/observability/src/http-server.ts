import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';

/**
 * A probe or a scrape sends its request at once: 10 s to send the headers,
 * and the whole request, is far more than either needs, and a client that
 * trickles its request byte by byte is cut off instead of holding a
 * connection for Node's defaults (60 s for the headers, 5 min in all).
 */
export const REQUEST_RECEIPT_TIMEOUT_MS = 10_000;

/**
 * Hardens the service's one HTTP server (`METRICS_PORT`): it does not
 * advertise its framework, and slow clients are timed out. Closing every
 * connection at shutdown is `forceCloseConnections`, an option of the
 * application itself (main.ts).
 */
export function configureHttpServer(app: INestApplication): void {
  const express = app.getHttpAdapter().getInstance() as {
    disable(setting: string): unknown;
  };
  express.disable('x-powered-by');
  const server = app.getHttpServer() as Server;
  server.headersTimeout = REQUEST_RECEIPT_TIMEOUT_MS;
  server.requestTimeout = REQUEST_RECEIPT_TIMEOUT_MS;
}
