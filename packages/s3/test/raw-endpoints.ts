import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Sends a signed PutObject that announces 1,000 bytes, writes 500 and then drops the connection: what a crash or a
 * broken network does to an upload. Resolves once the request is torn down and the server had time to react.
 */
export async function putCutShort(
  endpointUrl: string,
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
  bucket: string,
  key: string,
): Promise<void> {
  const endpoint = new URL(endpointUrl);
  const path = `/${bucket}/${key}`;
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path,
    query: {},
    headers: { host: endpoint.host, 'content-length': '1000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  await new Promise<void>((resolve) => {
    const request = httpRequest({
      host: endpoint.hostname,
      port: endpoint.port,
      method: 'PUT',
      path,
      headers: signed.headers,
    });
    request.on('error', () => undefined);
    request.write(Buffer.alloc(500, 'a'), () => {
      // Time for the server to take in what was written before the request is torn down.
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 300);
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/** An endpoint on 127.0.0.1 that accepts connections and never answers, as a hung server or a black hole does. */
export async function startSilentEndpoint(): Promise<{
  readonly endpoint: string;
  readonly close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
