/**
 * The connected TCP sockets of other processes with their TCP_NODELAY option, read from the sockets themselves:
 * python3 duplicates each socket descriptor with pidfd_getfd(2) (root, Linux 5.6+) and asks getsockopt. `run`
 * decides where: this machine, or a test host's namespaces (`host.exec`).
 */
type Run = (argv: string[]) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>

export interface TcpSocket {
  pid: number
  localPort: number
  peerPort: number
  nodelay: boolean
}

const SCRIPT = `
import ctypes, errno, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
kind, value = sys.argv[1], sys.argv[2]
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        if kind == 'pid' and pid != value: continue
        if kind == 'comm' and open(f'/proc/{pid}/comm').read().strip() != value: continue
        fds = [fd for fd in os.listdir(f'/proc/{pid}/fd') if os.readlink(f'/proc/{pid}/fd/{fd}').startswith('socket:')]
    except OSError:
        continue
    pidfd = libc.syscall(SYS_pidfd_open, int(pid), 0)
    if pidfd < 0:
        if ctypes.get_errno() != errno.ESRCH: print(f'pidfd_open({pid}): {os.strerror(ctypes.get_errno())}', file=sys.stderr)
        continue
    for fd in fds:
        dup = libc.syscall(SYS_pidfd_getfd, pidfd, int(fd), 0)
        if dup < 0:
            if ctypes.get_errno() not in (errno.ESRCH, errno.EBADF): print(f'pidfd_getfd({pid}, {fd}): {os.strerror(ctypes.get_errno())}', file=sys.stderr)
            continue
        s = socket.socket(fileno=dup)
        try:
            if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM:
                print(json.dumps({'pid': int(pid), 'localPort': s.getsockname()[1], 'peerPort': s.getpeername()[1],
                                  'nodelay': s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0}))
        except OSError:
            pass  # a listening socket has no peer
        finally:
            s.close()
    os.close(pidfd)
`

/** The connected TCP sockets of process `pid`, or of every process named `comm`. */
export async function tcpSockets(run: Run, select: { pid: number } | { comm: string }): Promise<TcpSocket[]> {
  const [kind, value] = 'pid' in select ? ['pid', String(select.pid)] : ['comm', select.comm]
  const result = await run(['python3', '-c', SCRIPT, kind, value])
  // A process or socket gone meanwhile is skipped; one that cannot be read (no permission) is said on stderr.
  if (result.exitCode !== 0 || result.stderr !== '')
    throw new Error(`reading sockets failed: ${result.stderr}`)

  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TcpSocket)
}
