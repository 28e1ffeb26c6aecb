// Snapshotters keep unpacked image layers (read-only, keyed by OCI chain id) and containers' writable layers (keyed
// by container id), and assemble them into a root filesystem. Implementations: overlay-snapshotter.ts (default) and
// vfs-snapshotter.ts (full copies, for filesystems without overlay). Both run snapshotter.contract.ts.

import type { LayerTarFile } from '../diff/unpack-tar.ts';

/** How a container's rootfs is assembled, for callers that mount it themselves (e.g. in another namespace). */
export interface MountPlan {
  type: 'overlay' | 'bind';
  /** Top-most first. Relative to `cwd` when `cwd` is set (long layer stacks). */
  lowerdirs: string[];
  upperdir?: string;
  workdir?: string;
  /** For 'bind'. */
  source?: string;
  cwd?: string;
}

export interface ApplyLayerOptions {
  /** The expected chain id; when that layer already exists the stream is only hashed and checked, not unpacked. */
  chainId?: string;
  parent: string | null;
  /** An UNCOMPRESSED layer tar (decompress first: see store/diff/decompress.ts), as a stream or a file on disk. */
  tar: NodeJS.ReadableStream | LayerTarFile;
  signal?: AbortSignal;
}

export interface AppliedLayer {
  chainId: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Bytes of content in the layer (Docker's layer Size). */
  size: number;
  /** True when the layer was already there (nothing new was committed; undoing must not remove it). */
  existed?: boolean;
}

export interface LayerInfo {
  chainId: string;
  parent: string | null;
  diffId: string;
  size: number;
}

export interface Snapshotter {
  readonly name: 'overlayfs' | 'vfs';
  hasLayer(chainId: string): Promise<boolean>;
  layerInfo(chainId: string): Promise<LayerInfo | undefined>;
  /**
   * Unpacks a layer on top of `parent`. Whiteouts become the driver's form. Atomic: a crash or failure leaves no
   * partial layer. Applying a layer that already exists is a no-op returning the existing one.
   */
  applyLayer(opts: ApplyLayerOptions): Promise<AppliedLayer>;
  /** Removes one layer (not its parents). Callers ensure no image, container or child layer still uses it. */
  removeLayer(chainId: string): Promise<void>;
  /** Chain ids of all stored layers. */
  listLayers(): Promise<string[]>;
  /** When the layer was committed (ms since the epoch), for garbage collection's grace period; undefined if absent. */
  layerCreated(chainId: string): Promise<number | undefined>;

  /** Creates a container's writable layer on top of `parentChainId` (null: empty rootfs). */
  prepare(key: string, parentChainId: string | null): Promise<void>;
  /** How `key` would be mounted. */
  mountPlan(key: string): Promise<MountPlan>;
  /** Mounts the container's rootfs at `target` (an existing directory). */
  mount(key: string, target: string): Promise<void>;
  unmount(key: string, target: string): Promise<void>;
  /** Removes the writable layer; it must not be mounted. Removing a missing key is a no-op. */
  remove(key: string): Promise<void>;
  /** Bytes in the writable layer (Docker's SizeRw). */
  usage(key: string): Promise<number>;
  /** The directory holding the container's changes (the overlay upperdir). */
  upperDir(key: string): string;
  /** Keys of all writable layers. */
  listContainers(): Promise<string[]>;
  /** Docker's GraphDriver.Data for an image with these layers (chain ids, bottom first). Pure path arithmetic. */
  graphDriverData(chain: readonly string[]): Record<string, string> | null;
}
