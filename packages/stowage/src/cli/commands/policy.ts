import { bucketPolicies } from '@stowage/s3';
import type { CliContext } from '../cli-context.ts';
import { EXIT_OK } from '../exit-codes.ts';
import { choiceOption, parseCommandLine, requiredOption } from '../parse-command-line.ts';

export const POLICY_USAGE: string = `usage: stowage policy --uploads-bucket BUCKET --avatars-bucket BUCKET --principal ARN [--only uploads|avatars]

Prints the two bucket policies as JSON: the uploads bucket lets only the principal get, put, delete and list; the
avatars bucket allows the same and anonymous GetObject. With --only, prints that one policy document, ready to
paste into the bucket's policy editor or \`aws s3api put-bucket-policy --policy file://...\`.`;

/** `stowage policy`: prints the bucket policies. */
export function runPolicy(args: readonly string[], context: CliContext): number {
  const { options } = parseCommandLine(args, {
    'uploads-bucket': { type: 'string' },
    'avatars-bucket': { type: 'string' },
    principal: { type: 'string' },
    only: { type: 'string' },
  });
  const policies = bucketPolicies({
    uploadsBucket: requiredOption(options, 'uploads-bucket'),
    avatarsBucket: requiredOption(options, 'avatars-bucket'),
    principal: requiredOption(options, 'principal'),
  });
  const only = choiceOption(options, 'only', ['uploads', 'avatars'] as const);
  context.stdout.write(`${JSON.stringify(only === undefined ? policies : policies[only], null, 2)}\n`);
  return EXIT_OK;
}
