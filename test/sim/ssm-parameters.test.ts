import { DeleteParameterCommand, DeleteParametersCommand, GetParameterCommand, GetParametersByPathCommand, GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sim, startSim, stopSim } from './ssm-helpers';

describe('SSM Parameter Store', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => stopSim(sim));

  it('keeps SecureString values encrypted unless WithDecryption is asked for: opaque ciphertext, nothing to decode', async () => {
    await sim.ssm.send(new PutParameterCommand({ Name: '/hopper/demo/join/token', Value: 'abcdef.0123456789abcdef', Type: 'SecureString' }));
    const hidden = await sim.ssm.send(new GetParameterCommand({ Name: '/hopper/demo/join/token' }));
    const shown = await sim.ssm.send(new GetParameterCommand({ Name: '/hopper/demo/join/token', WithDecryption: true }));
    expect(hidden.Parameter?.Value).not.toContain('abcdef');
    expect(Buffer.from(hidden.Parameter?.Value ?? '', 'base64').toString('latin1')).not.toContain('abcdef');
    expect(shown.Parameter).toMatchObject({ Type: 'SecureString', Value: 'abcdef.0123456789abcdef', Version: 1 });
  });

  it('encrypts under a customer managed key only when that key exists', async () => {
    const put = (KeyId: string) => sim.ssm.send(new PutParameterCommand({ Name: '/hopper/demo/join/endpoint', Value: '10.0.0.1:6443', Type: 'SecureString', KeyId, Overwrite: true }));
    await expect(put('alias/hopper')).rejects.toMatchObject({ name: 'InvalidKeyId' });
    const keyId = '1234abcd-12ab-44cd-a6ef-1234567890ab';
    const arn = `arn:aws:kms:us-east-1:000000000000:key/${keyId}`;
    expect((await fetch(`${sim.server.url}/_sim/kms/keys/${keyId}`, { method: 'PUT', body: JSON.stringify({ arn }) })).status).toBe(200);
    await put(arn);
    await put(keyId);
    expect((await sim.ssm.send(new GetParameterCommand({ Name: '/hopper/demo/join/endpoint', WithDecryption: true }))).Parameter?.Value).toBe('10.0.0.1:6443');
  });

  it('refuses to replace a parameter without Overwrite and bumps the version with it', async () => {
    await sim.ssm.send(new PutParameterCommand({ Name: '/hopper/demo/endpoint', Value: 'a:6443', Type: 'String' }));
    await expect(sim.ssm.send(new PutParameterCommand({ Name: '/hopper/demo/endpoint', Value: 'b:6443', Type: 'String' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    const out = await sim.ssm.send(new PutParameterCommand({ Name: '/hopper/demo/endpoint', Value: 'b:6443', Type: 'String', Overwrite: true }));
    expect(out.Version).toBe(2);
  });

  it('lists a path one level deep, or recursively, page by page', async () => {
    for (const n of ['a', 'b', 'c']) await sim.ssm.send(new PutParameterCommand({ Name: `/tree/x/${n}`, Value: n, Type: 'String' }));
    await sim.ssm.send(new PutParameterCommand({ Name: '/tree/x/deep/d', Value: 'd', Type: 'String' }));
    const flat = await sim.ssm.send(new GetParametersByPathCommand({ Path: '/tree/x' }));
    expect(flat.Parameters?.map((p) => p.Name)).toEqual(['/tree/x/a', '/tree/x/b', '/tree/x/c']);
    const first = await sim.ssm.send(new GetParametersByPathCommand({ Path: '/tree', Recursive: true, MaxResults: 3 }));
    const second = await sim.ssm.send(new GetParametersByPathCommand({ Path: '/tree', Recursive: true, MaxResults: 3, NextToken: first.NextToken }));
    expect([...(first.Parameters ?? []), ...(second.Parameters ?? [])].map((p) => p.Name)).toEqual(['/tree/x/a', '/tree/x/b', '/tree/x/c', '/tree/x/deep/d']);
    expect(second.NextToken).toBeUndefined();
  });

  it('reports missing names in GetParameters and ParameterNotFound on delete', async () => {
    const out = await sim.ssm.send(new GetParametersCommand({ Names: ['/tree/x/a', '/nope'] }));
    expect(out.InvalidParameters).toEqual(['/nope']);
    await sim.ssm.send(new DeleteParameterCommand({ Name: '/tree/x/a' }));
    await expect(sim.ssm.send(new DeleteParameterCommand({ Name: '/tree/x/a' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    const many = await sim.ssm.send(new DeleteParametersCommand({ Names: ['/tree/x/b', '/nope'] }));
    expect(many).toMatchObject({ DeletedParameters: ['/tree/x/b'], InvalidParameters: ['/nope'] });
  });

  it('answers the public Canonical Ubuntu parameters with the simulator\'s image ids', async () => {
    const out = await sim.ssm.send(new GetParameterCommand({ Name: '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp3/ami-id' }));
    expect(out.Parameter?.Value).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(sim.server.state.images.get(out.Parameter?.Value ?? '')?.architecture).toBe('arm64');
  });
});
