import { driverContract } from './driver.contract.ts';
import { MemoryDriver } from './memory-driver.ts';

driverContract('inmemory', async () => ({ driver: new MemoryDriver(), cleanup: async () => {} }));
