// GET /info and /version: facts about this host and daemon, read when asked (never cached across cgroup changes).
import { readFile, stat } from 'node:fs/promises';
import { cpus, hostname, totalmem, release, arch } from 'node:os';
import { API_VERSION, MIN_API_VERSION } from '../spec/docker-api.ts';

export const BERTH_VERSION = '0.1.0';

export async function cgroupVersion(): Promise<'1' | '2'> {
  // cgroup2 mounted at /sys/fs/cgroup itself means the unified hierarchy; a tmpfs there is v1 (maybe hybrid).
  const controllers = await stat('/sys/fs/cgroup/cgroup.controllers').then(() => true, () => false);
  return controllers ? '2' : '1';
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
export const goArch = (): string => GO_ARCH[arch()] ?? arch();

async function osName(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'Linux';
}

export interface InfoInputs {
  id: string;
  dataRoot: string;
  driver: string;
  runcPath: string;
  counts: { containers: number; running: number; paused: number; stopped: number; images: number };
  logMaxSize: number;
  logMaxFiles: number;
}

export async function systemInfo(i: InfoInputs): Promise<Record<string, unknown>> {
  const cg = await cgroupVersion();
  return {
    ID: i.id,
    Containers: i.counts.containers,
    ContainersRunning: i.counts.running,
    ContainersPaused: i.counts.paused,
    ContainersStopped: i.counts.stopped,
    Images: i.counts.images,
    Driver: i.driver,
    DriverStatus: [['Backing Filesystem', 'extfs']],
    Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: cg === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg,
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: await osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: '',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    NCPU: cpus().length,
    MemTotal: totalmem(),
    GenericResources: null,
    DockerRootDir: i.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: { runc: { path: i.runcPath } },
    DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'],
    DefaultAddressPools: [],
    Warnings: [],
    BerthLogRotation: { MaxSize: i.logMaxSize, MaxFiles: i.logMaxFiles },
  };
}

export function versionInfo(): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    Arch: goArch(),
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'Berth' },
    Components: [{ Name: 'Engine', Version: BERTH_VERSION, Details: details }],
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
  };
}
