// Berth's incremental build context (src/builder/context-cache.ts has the format): the media type of a POST /build
// body that is a manifest plus the missing contents, and the Berth-specific endpoint that says what is missing.
export const BERTH_CONTEXT_MEDIA_TYPE = 'application/vnd.berth.context.v1';
/** POST {digests: [hex]} → {missing: [hex]} */
export const BERTH_CONTEXT_CHECK_PATH = '/berth/build/context';
export const BERTH_CONTEXT_MAGIC = 'BCX1';

export interface ContextEntry {
  /** Path relative to the context root ("dir/file"). */
  p: string;
  /** file, directory, symlink */
  t: 'f' | 'd' | 'l';
  /** Permission bits (& 07777). */
  m: number;
  /** mtime, seconds. */
  mt: number;
  /** Files: sha256 hex of the content. */
  d?: string;
  /** Symlinks: the target. */
  l?: string;
}

export interface ContextManifest {
  /** The Dockerfile's path in the context. */
  dockerfile: string;
  entries: ContextEntry[];
}
