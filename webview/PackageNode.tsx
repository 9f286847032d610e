import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, useCallback, useSyncExternalStore } from 'react';
import type { PackageStatus } from '../src/core/runState';
import type { PlanNode } from '../src/protocol';
import type { StatusStore } from './statusStore';

export type PackageNodeData = {
  pkg: PlanNode;
  store: StatusStore;
};
export type PackageFlowNode = Node<PackageNodeData, 'package'>;

const STATUS_ICON: Record<PackageStatus, string> = {
  pending: 'circle-large-outline',
  ready: 'circle-large',
  queued: 'clock',
  running: 'play-circle',
  verifying: 'beaker',
  succeeded: 'pass-filled',
  failed: 'error',
  blocked: 'debug-pause',
  cancelled: 'circle-slash',
  interrupted: 'debug-disconnect',
  'scope-violation': 'shield',
};

function PackageNodeView({ data }: NodeProps<PackageFlowNode>) {
  const { pkg, store } = data;
  const subscribe = useCallback((listener: () => void) => store.subscribe(pkg.id, listener), [store, pkg.id]);
  const live = useSyncExternalStore(subscribe, () => store.get(pkg.id));
  const status = live?.status ?? pkg.status;
  return (
    <div
      className={`pkg status-${status}${pkg.onCriticalPath ? ' critical' : ''}`}
      title={[pkg.title, pkg.writeScope.length ? `writes: ${pkg.writeScope.join(', ')}` : '', pkg.locks.length ? `locks: ${pkg.locks.join(', ')}` : '']
        .filter(Boolean)
        .join('\n')}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="pkg-head">
        <span className={`codicon codicon-${STATUS_ICON[status]}`} aria-hidden="true" />
        <span className="pkg-id">{pkg.id}</span>
        {pkg.onCriticalPath && <span className="codicon codicon-star-full pkg-critical" aria-label="on the critical path" />}
      </div>
      <div className="pkg-title">{pkg.title || '\u00a0'}</div>
      <div className="pkg-status">{status}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

export const PackageNode = memo(PackageNodeView);
