// The raw download channel, an upload's mirror (protocol/raw-upload.ts): what the helper makes for
// the client (a saved archive, an exported file system) travels as itself on a second connection
// to the helper's socket. The client sends one header line and then only reads:
//
//   STRATA-DOWNLOAD <token>\n          (client -> helper)
//   <raw bytes...> then the helper closes   (helper -> client)
//
// <token> is what download.begin returned. The bytes are whole only if the request that produced
// them (image.save, container.export) answers with their count: a connection ends the same way
// whether its producer finished or failed, so the answer, not the end, says which.
// Pure: no fs, no net, no vscode (both sides import it).
import { patterns } from './methods';
import { parseRawUploadHeader, sniffConnection, type RawHeader } from './raw-upload';

export const RAW_DOWNLOAD_PREFIX = 'STRATA-DOWNLOAD ';

/** The header line a client sends first on a raw download connection. */
export function rawDownloadHeader(token: string): string {
  if (!patterns.token.test(token)) throw new Error(`not a download token: ${JSON.stringify(token.slice(0, 40))}`);
  return `${RAW_DOWNLOAD_PREFIX}${token}\n`;
}

/** As sniffConnection, for the download prefix. */
export function sniffDownload(head: Uint8Array): 'raw' | 'rpc' | 'undecided' {
  return sniffConnection(head, RAW_DOWNLOAD_PREFIX);
}

/** As parseRawUploadHeader, for the download prefix: strict, decided at the first wrong byte. */
export function parseRawDownloadHeader(bytes: Uint8Array): RawHeader {
  return parseRawUploadHeader(bytes, RAW_DOWNLOAD_PREFIX);
}
