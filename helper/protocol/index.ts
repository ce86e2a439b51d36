// The protocol shared by the helper and its clients. Imports neither vscode nor node:fs.
export * from './types';
export * from './methods';
export * from './errors';
export * from './raw-upload';
export * from './raw-download';
export * from './endpoint';
export { s, SchemaError, type Schema, type Infer } from './schema';
export { StrataClient, StrataRequestError, ConnectionLostError, UPLOAD_CHUNK_BYTES, type RawChannel, type RawDuplex, type UploadOptions } from './client';
