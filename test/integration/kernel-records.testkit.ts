/**
 * The kernel's seccomp records of one test's processes, read from the audit netlink multicast group
 * (native/auditnl, as `sysgate monitor --source netlink` reads them). Every record arrives there,
 * whether or not an auditd is registered (then the kernel prints nothing to dmesg: monitor.itest
 * starts one) and past printk's rate limit, which other tests' bursts exhaust. Records are told apart
 * by the process name (`comm`) each test gives its workload.
 */
import { startNetlink } from '../../src/operate/monitor-sources.js';

/**
 * The records (auditd RAW lines, `type=1326 msg=audit(...): ...`) of the processes named `comm`
 * while `work` runs: collected until `expected` arrived (or 10 s after `work` ended), then 1 s more
 * so that a record too many is seen too.
 */
export async function kernelRecords<T>(
  comm: string,
  work: () => Promise<T>,
  expected: number,
): Promise<{ readonly result: T; readonly records: string[] }> {
  const records: string[] = [];
  const source = await startNetlink(
    {
      line: (l) => {
        if (l.includes(`comm="${comm}"`)) records.push(l);
      },
      // Serial gaps come from other tests' bursts; these records are checked by count.
      lost: () => undefined,
    },
    {},
  );
  try {
    const result = await work();
    for (let waited = 0; records.length < expected && waited < 10_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    return { result, records };
  } finally {
    await source.stop();
  }
}
