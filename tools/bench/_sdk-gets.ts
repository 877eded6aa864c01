// Child of `npm run bench -- migrate`: the floor the AWS SDK sets for a migration out of a bucket. Lists the bucket
// and GETs every object six at a time through the client `@stowage/s3` builds, draining each body without hashing
// or storing it, and prints the CPU that took as JSON. The same requests a migration makes, and nothing else.
import process from 'node:process';
import { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { createS3Client } from '@stowage/s3';

const [endpoint, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2);
if (endpoint === undefined || bucket === undefined || accessKeyId === undefined || secretAccessKey === undefined)
  throw new Error('usage: _sdk-gets.ts ENDPOINT BUCKET ACCESS_KEY SECRET_KEY');
const client = createS3Client({
  uploadsBucket: bucket,
  avatarsBucket: bucket,
  endpointUrl: endpoint,
  region: 'us-east-1',
  addressingStyle: 'path',
  skipChecksum: true,
  uploadsStorageClass: undefined,
  avatarPublicUrlPrefix: undefined,
  credentials: { accessKeyId, secretAccessKey },
});
const before = process.cpuUsage();
const keys: string[] = [];
for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket })) {
  for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
}
let next = 0;
let bytes = 0;
await Promise.all(
  Array.from({ length: 6 }, async () => {
    for (let key = keys[next++]; key !== undefined; key = keys[next++]) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // On Node the body is the response stream itself: read as it is, the cheapest way there is.
      if (!(got.Body instanceof Readable)) throw new Error(`no Node stream body for ${key}`);
      for await (const chunk of got.Body) bytes += (chunk as Uint8Array).byteLength;
    }
  }),
);
const used = process.cpuUsage(before);
client.destroy();
console.log(
  JSON.stringify({
    objects: keys.length,
    bytes,
    cpuSeconds: (used.user + used.system) / 1e6,
    userSeconds: used.user / 1e6,
  }),
);
