import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idFormats } from '../../src/security/random-ids.js';
import { insertGroups } from '../../src/storage/repos/group-repo.js';
import { iot, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Count-then-insert limits must hold when requests race (PostgreSQL runs them in parallel transactions).
for (const dialect of testDialects()) {
  describe(`fleet limits under concurrent requests (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('lets exactly one of eight racing CreateDeviceGroup calls take the last of 1,000 places', async () => {
      const { accounts } = server.service.services;
      const created = await accounts.createAccount('racer');
      const scope = (await accounts.resolveScope(created.accountId, undefined))!;
      const now = Date.now() - 60_000;
      await insertGroups(
        server.service.storage.db,
        Array.from({ length: 999 }, (_, i) => ({
          group_id: idFormats.groupId(),
          account_id: scope.accountId,
          instance_id: scope.instanceRowId,
          group_name: `seeded_${i}`,
          group_desc: null,
          parent_group_id: null,
          depth: 1,
          created_at: now + i,
          modified_at: now + i,
        })),
      );
      const client = sdkClient(server.endpoint, { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret });
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: `racer_${i}` }))),
      );
      expect(answers.filter((a) => a.body.success === true)).toHaveLength(1);
      expect(answers.filter((a) => a.body.code === 'iot.group.GroupCountExceedMax')).toHaveLength(7);
      const list = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage: 1, pageSize: 1 }));
      expect(list.body.total).toBe(1000);
    });

    it('keeps a device at 100 tags when SaveDeviceProp calls race', async () => {
      const client = sdkClient(server.endpoint, server.key);
      const product = await client.createProduct(new iot.CreateProductRequest({ productName: 'tag_racer', nodeType: 0 }));
      const productKey = product.body.productKey!;
      await client.registerDevice(new iot.RegisterDeviceRequest({ productKey, deviceName: 'racing-dev' }));
      const first = Object.fromEntries(Array.from({ length: 95 }, (_, i) => [`base${i}`, 'v']));
      expect((await client.saveDeviceProp(new iot.SaveDevicePropRequest({ productKey, deviceName: 'racing-dev', props: JSON.stringify(first) }))).body.success).toBe(true);
      // Each call adds 5 new keys: only one of them fits under 100.
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, n) =>
          client.saveDeviceProp(
            new iot.SaveDevicePropRequest({
              productKey,
              deviceName: 'racing-dev',
              props: JSON.stringify(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`race${n}k${i}`, 'v']))),
            }),
          ),
        ),
      );
      expect(answers.filter((a) => a.body.success === true)).toHaveLength(1);
      const props = await client.queryDeviceProp(new iot.QueryDevicePropRequest({ productKey, deviceName: 'racing-dev' }));
      expect(Object.keys(JSON.parse(props.body.props!))).toHaveLength(100);
    });
  });
}
