// Docker Engine API image shapes (GET /images/json, GET /images/{name}/json, DELETE /images/{name}).

import type { ImageRuntimeConfig } from './docker-api.ts';

/** GET /images/json item. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ImageRuntimeConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** DELETE /images/{name} response item. */
export interface ImageDeleteResponseItem {
  Untagged?: string;
  Deleted?: string;
}
