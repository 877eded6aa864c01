import { describe, expect, it } from 'vitest';
import { parseListPage, xmlText } from './lean-requests.ts';

describe('the lean ListObjectsV2 answer', () => {
  it('decodes the named entities and numeric references, and leaves other text alone', () => {
    expect(xmlText('a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x1F600; &unknown; 100%')).toBe('a & b <c> "d" \'e\' \u00e9\u{1F600} &unknown; 100%');
  });

  it('reads every entry and the page fields, wherever the server puts them', () => {
    const entries =
      '<Contents><Key>dir/a &amp; b.txt</Key><LastModified>2026-11-25T10:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>' +
      '<Contents><Key>\u00e9/&lt;IsTruncated&gt;</Key><LastModified>2026-11-25T11:00:00Z</LastModified><ETag>"def-2"</ETag><Size>0</Size></Contents>';
    const expected = {
      Contents: [
        { Key: 'dir/a & b.txt', Size: 12, LastModified: new Date('2026-11-25T10:00:00Z'), ETag: '"abc"' },
        { Key: '\u00e9/<IsTruncated>', Size: 0, LastModified: new Date('2026-11-25T11:00:00Z'), ETag: '"def-2"' },
      ],
      IsTruncated: true,
      NextContinuationToken: 'tok/en+=',
    };
    // AWS puts the page fields first; others after the entries.
    const first = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><NextContinuationToken>tok/en+=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${entries}</ListBucketResult>`;
    const last = `<ListBucketResult>${entries}<IsTruncated>true</IsTruncated><NextContinuationToken>tok/en+=</NextContinuationToken></ListBucketResult>`;
    expect(parseListPage(first)).toEqual(expected);
    expect(parseListPage(last)).toEqual(expected);
  });

  it('reads an empty last page', () => {
    expect(parseListPage('<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({
      Contents: [],
      IsTruncated: false,
      NextContinuationToken: undefined,
    });
  });

  it('refuses an answer that is not a listing, or an entry without a key, size or time', () => {
    expect(() => parseListPage('<Error><Code>InternalError</Code></Error>')).toThrow(/not a ListBucketResult/u);
    expect(() => parseListPage('<ListBucketResult><Contents><Key>a</Key><Size>x</Size><LastModified>2026-11-25T10:00:00Z</LastModified></Contents></ListBucketResult>')).toThrow(/without a key, size or time/u);
    expect(() => parseListPage('<ListBucketResult><Contents><Key>a</Key><Size>1</Size></ListBucketResult>')).toThrow(/ends inside an entry/u);
  });
});
