import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain/account/account-service.js';
import { operations } from '../../src/api/ops/index.js';
import { idFormats } from '../../src/security/random-ids.js';
import { insertGroups, type GroupRow } from '../../src/storage/repos/group-repo.js';
import { iot, popClient, sdkClient, type Credentials } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Client = ReturnType<typeof sdkClient>;
type Pop = ReturnType<typeof popClient>;

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scopeOf(server: TestServer, key: Credentials): Promise<Scope> {
  const { accounts } = server.service.services;
  const resolved = await accounts.resolveKey(key.accessKeyId);
  const scope = await accounts.resolveScope(resolved!.accountId, undefined);
  return scope!;
}

/** Group rows written straight through the repository, to reach the 1,000 / 100 limits without 1,000 calls. */
function seedRows(scope: Scope, count: number, prefix: string, parent?: { groupId: string; depth: number }): GroupRow[] {
  const now = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i) => ({
    group_id: idFormats.groupId(),
    account_id: scope.accountId,
    instance_id: scope.instanceRowId,
    group_name: `${prefix}${i}`,
    group_desc: null,
    parent_group_id: parent?.groupId ?? null,
    depth: parent ? parent.depth + 1 : 1,
    created_at: now + i,
    modified_at: now + i,
  }));
}

async function expectGateway(call: Promise<unknown>, code: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ code, statusCode: 400 });
}

function expectBusiness(res: { body: { success?: boolean; code?: string } }, code: string): void {
  expect(res.body.success).toBe(false);
  expect(res.body.code).toBe(code);
}

function device(productKey: string, deviceName: string) {
  return new iot.BatchAddDeviceGroupRelationsRequestDevice({ productKey, deviceName });
}

for (const dialect of testDialects()) {
  describe(`static device groups (${dialect})`, () => {
    let server: TestServer;
    let scope: Scope;
    let v3: Client;
    let v2: Client;
    let pop: Pop;
    let other: Client;
    let otherKey: Credentials;
    let seq = 0;
    // Two products of the main account, devices in both; one product of another account.
    const p1 = { key: '', name: 'grp_pump' };
    const p2 = { key: '', name: 'grp_valve' };
    let otherProductKey = '';

    const uniqueName = (stem: string) => `${stem}_${++seq}_${Date.now() % 100000}`;
    const createGroup = async (client: Client, name: string, extra: { groupDesc?: string; superGroupId?: string } = {}) => {
      const res = await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: name, ...extra }));
      expect(res.body.success, `${res.body.code}`).toBe(true);
      return res.body.data!.groupId!;
    };
    const register = async (productKey: string, deviceName: string) =>
      server.service.services.devices.register(scope, { productKey, deviceName, loraFields: false });

    beforeAll(async () => {
      server = await startTestServer(dialect);
      scope = await scopeOf(server, server.key);
      v3 = sdkClient(server.endpoint, server.key, 'v3');
      v2 = sdkClient(server.endpoint, server.key, 'v2');
      pop = popClient(server.url, server.key);
      const { services } = server.service;
      p1.key = (await services.products.create(scope, { productName: p1.name, nodeType: 0 })).productKey;
      p2.key = (await services.products.create(scope, { productName: p2.name, nodeType: 0 })).productKey;
      const created = await services.accounts.createAccount('other');
      otherKey = { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret };
      other = sdkClient(server.endpoint, otherKey, 'v3');
      const otherScope = await scopeOf(server, otherKey);
      otherProductKey = (await services.products.create(otherScope, { productName: 'other_pump', nodeType: 0 })).productKey;
      await services.devices.register(otherScope, { productKey: otherProductKey, deviceName: 'other-dev-1', loraFields: false });
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`creates, reads, lists, updates and deletes a group with every answer field (SDK ${mode})`, async () => {
        const client = mode === 'v3' ? v3 : v2;
        const name = uniqueName(`field_${mode}`);
        const created = await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: name, groupDesc: 'Pumps in the north field' }));
        expect(created.body.success).toBe(true);
        expect(created.body.code).toBeUndefined();
        const data = created.body.data!;
        expect(data.groupId).toMatch(/^[A-Za-z0-9]{16}$/);
        expect(data.groupName).toBe(name);
        expect(data.groupDesc).toBe('Pumps in the north field');
        expect(data.utcCreate).toMatch(ISO_MS);
        expect(Math.abs(Date.parse(data.utcCreate!) - Date.now())).toBeLessThan(60_000);

        const info = await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: data.groupId }));
        expect(info.body.success).toBe(true);
        expect(info.body.data).toEqual({
          groupId: data.groupId,
          groupName: name,
          groupDesc: 'Pumps in the north field',
          utcCreate: data.utcCreate,
          deviceCount: 0,
          deviceActive: 0,
          deviceOnline: 0,
        });

        const listed = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupName: name }));
        expect(listed.body).toMatchObject({ success: true, currentPage: 1, pageSize: 10, pageCount: 1, total: 1 });
        expect(listed.body.data!.groupInfo).toEqual([
          { groupId: data.groupId, groupName: name, groupDesc: 'Pumps in the north field', groupType: 'LINK_PLATFORM', utcCreate: data.utcCreate },
        ]);

        const updated = await client.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId: data.groupId, groupDesc: 'moved south' }));
        expect(updated.body.success).toBe(true);
        const withType = await client.updateDeviceGroup(
          new iot.UpdateDeviceGroupRequest({ groupId: data.groupId, groupDesc: 'moved south again', groupType: 'LINK_PLATFORM' }),
        );
        expect(withType.body.success).toBe(true);
        const after = await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: data.groupId, groupType: 'LINK_PLATFORM' }));
        expect(after.body.data?.groupDesc).toBe('moved south again');
        expect(after.body.data?.groupName).toBe(name);

        const deleted = await client.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: data.groupId }));
        expect(deleted.body.success).toBe(true);
        expectBusiness(await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: data.groupId })), 'iot.group.NotExistedGroup');
        expectBusiness(await client.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: data.groupId })), 'iot.group.NotExistedGroup');
      });
    }

    it('omits an absent GroupDesc everywhere, and an empty GroupDesc on update clears it (POP raw JSON)', async () => {
      const name = uniqueName('nodesc');
      const created = (await pop.request('CreateDeviceGroup', { GroupName: name }, { method: 'POST' })) as Record<string, any>;
      expect(created.Success).toBe(true);
      expect(Object.keys(created.Data).sort()).toEqual(['GroupId', 'GroupName', 'UtcCreate']);
      const groupId = created.Data.GroupId as string;

      const info = (await pop.request('QueryDeviceGroupInfo', { GroupId: groupId })) as Record<string, any>;
      expect(info.Data).not.toHaveProperty('GroupDesc');
      expect(info.Data).not.toHaveProperty('DynamicGroupExpression');

      const list = (await pop.request('QueryDeviceGroupList', { GroupName: name })) as Record<string, any>;
      expect(Object.keys(list).sort()).toEqual(['CurrentPage', 'Data', 'PageCount', 'PageSize', 'RequestId', 'Success', 'Total']);
      expect(Array.isArray(list.Data.GroupInfo)).toBe(true);
      expect(list.Data.GroupInfo).toHaveLength(1);
      expect(list.Data.GroupInfo[0]).not.toHaveProperty('GroupDesc');
      expect(list.Data.GroupInfo[0].GroupType).toBe('LINK_PLATFORM');

      // Absent GroupDesc leaves the description alone; an empty one clears it.
      await pop.request('UpdateDeviceGroup', { GroupId: groupId, GroupDesc: 'set' }, { method: 'POST' });
      await pop.request('UpdateDeviceGroup', { GroupId: groupId }, { method: 'POST' });
      expect(((await pop.request('QueryDeviceGroupInfo', { GroupId: groupId })) as any).Data.GroupDesc).toBe('set');
      await pop.request('UpdateDeviceGroup', { GroupId: groupId, GroupDesc: '' }, { method: 'POST' });
      expect(((await pop.request('QueryDeviceGroupInfo', { GroupId: groupId })) as any).Data).not.toHaveProperty('GroupDesc');

      await expect(pop.request('QueryDeviceGroupInfo', { GroupId: 'NoSuchGroup00000' })).rejects.toMatchObject({ code: 'iot.group.NotExistedGroup' });
    });

    it('checks GroupName and GroupDesc (fleet-api §2.5)', async () => {
      const bad = async (groupName: string) =>
        expectBusiness(await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName })), 'iot.group.InvalidGroupName');
      await bad('');
      await bad('abc');
      await bad('a'.repeat(31));
      await bad('has-dash');
      await bad('has space');
      await bad('组'.repeat(16)); // 16 CJK characters count 32
      await bad('组a'); // 3 counts as... 2 + 1 = 3 < 4
      await createGroup(v3, 'a'.repeat(30));
      await createGroup(v3, '组'.repeat(15)); // counts 30
      await createGroup(v3, '组a_1'); // counts 5
      await createGroup(v3, 'abcd');
      await expectGateway(v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupDesc: 'no name' })), 'MissingGroupName');

      expectBusiness(await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'abcd' })), 'iot.group.GroupNameExisted');
      // Names are unique in the whole instance, at any level.
      const parent = await createGroup(v3, uniqueName('dup_parent'));
      expectBusiness(
        await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'abcd', superGroupId: parent })),
        'iot.group.GroupNameExisted',
      );

      expectBusiness(
        await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('desc'), groupDesc: 'x'.repeat(101) })),
        'iot.group.LongGroupDescError',
      );
      const longCjk = await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('desc'), groupDesc: '说'.repeat(100) }));
      expect(longCjk.body.success).toBe(true); // a CJK character counts 1 in GroupDesc
      expect(longCjk.body.data?.groupDesc).toBe('说'.repeat(100));
      expectBusiness(
        await v3.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId: longCjk.body.data!.groupId, groupDesc: '说'.repeat(101) })),
        'iot.group.LongGroupDescError',
      );
      const exact = await createGroup(v3, uniqueName('desc'), { groupDesc: 'y'.repeat(100) });
      expect(exact).toMatch(/^[A-Za-z0-9]{16}$/);
    });

    it('answers GroupId errors of update, delete, info and the relation calls', async () => {
      const groupId = await createGroup(v2, uniqueName('ids'));
      expectBusiness(await v2.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId: '', groupDesc: 'x' })), 'iot.group.NullGroupId');
      expectBusiness(await v2.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: '' })), 'iot.group.NullGroupId');
      expectBusiness(await v2.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: '' })), 'iot.group.NullGroupId');
      expectBusiness(
        await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId: '' })),
        'iot.group.NullGroupId',
      );
      expectBusiness(
        await v2.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: '', device: [device(p1.key, 'whatever')] })),
        'iot.group.NullGroupId',
      );
      expectBusiness(
        await v2.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId: '', device: [device(p1.key, 'whatever')] })),
        'iot.group.NullGroupId',
      );
      await expectGateway(v2.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupDesc: 'x' })), 'MissingGroupId');
      await expectGateway(v2.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({})), 'MissingGroupId');
      await expectGateway(v2.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({})), 'MissingGroupId');
      await expectGateway(v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({})), 'MissingGroupId');
      await expectGateway(
        v2.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ device: [device(p1.key, 'whatever')] })),
        'MissingGroupId',
      );
      await expectGateway(
        v2.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ device: [device(p1.key, 'whatever')] })),
        'MissingGroupId',
      );
      const unknown = 'Zz9Zz9Zz9Zz9Zz9Z';
      expectBusiness(await v2.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId: unknown, groupDesc: 'x' })), 'iot.group.NotExistedGroup');
      expectBusiness(await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId: unknown })), 'iot.group.NotExistedGroup');
      expectBusiness(
        await v2.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: unknown, device: [device(p1.key, 'whatever')] })),
        'iot.group.NotExistedGroup',
      );
      expectBusiness(
        await v2.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId: unknown, device: [device(p1.key, 'whatever')] })),
        'iot.group.NotExistedGroup',
      );
      // A GroupType other than the static one names no group Flotilla has.
      expectBusiness(
        await v2.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId, groupDesc: 'x', groupType: 'LINK_PLATFORM_DYNAMIC' })),
        'iot.group.NotExistedGroup',
      );
      expectBusiness(
        await v2.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId, groupType: 'LINK_PLATFORM_DYNAMIC' })),
        'iot.group.NotExistedGroup',
      );
    });

    it('nests three levels, lists children per parent, refuses a fourth level and deleting a parent', async () => {
      const top = await createGroup(v3, uniqueName('lvl1'));
      const mid = await createGroup(v3, uniqueName('lvl2'), { superGroupId: top });
      const low = await createGroup(v3, uniqueName('lvl3'), { superGroupId: mid });
      expectBusiness(
        await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('lvl4'), superGroupId: low })),
        'iot.group.SuperGroupUnsupport',
      );
      expectBusiness(
        await v3.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('orphan'), superGroupId: 'Zz9Zz9Zz9Zz9Zz9Z' })),
        'iot.group.NotExistedGroup',
      );

      const children = await v3.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: top }));
      expect(children.body.total).toBe(1);
      expect(children.body.data?.groupInfo?.map((g) => g.groupId)).toEqual([mid]);
      const grandChildren = await v3.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: mid }));
      expect(grandChildren.body.data?.groupInfo?.map((g) => g.groupId)).toEqual([low]);
      const leaves = await v3.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: low }));
      expect(leaves.body).toMatchObject({ success: true, total: 0, pageCount: 0 });
      expect(leaves.body.data?.groupInfo).toEqual([]);
      expectBusiness(
        await v3.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: 'Zz9Zz9Zz9Zz9Zz9Z' })),
        'iot.group.NotExistedGroup',
      );
      // Without SuperGroupId only top-level groups are listed.
      const topLevel = await v3.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ pageSize: 200 }));
      const topIds = topLevel.body.data!.groupInfo!.map((g) => g.groupId);
      expect(topIds).toContain(top);
      expect(topIds).not.toContain(mid);
      expect(topIds).not.toContain(low);

      // Membership of a subgroup is not membership of its parent.
      await register(p1.key, 'nest-dev-1');
      const added = await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: mid, device: [device(p1.key, 'nest-dev-1')] }));
      expect(added.body.successAddedDeviceCount).toBe(1);
      expect((await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: top }))).body.data?.deviceCount).toBe(0);
      expect((await v3.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId: top }))).body.total).toBe(0);
      expect((await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: mid }))).body.data?.deviceCount).toBe(1);

      const refused = await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: top }));
      expectBusiness(refused, 'iot.group.DeleteGroupFailed');
      expect(refused.body.errorMessage).toMatch(/subgroup/i);
      expectBusiness(await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: mid })), 'iot.group.DeleteGroupFailed');
      expect((await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: low }))).body.success).toBe(true);
      // Deleting a group drops its memberships.
      expect((await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: mid }))).body.success).toBe(true);
      const groupsOfDevice = await v3.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p1.key, deviceName: 'nest-dev-1' }));
      expect(groupsOfDevice.body.groupInfos?.groupInfo).toEqual([]);
      expect((await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: top }))).body.success).toBe(true);
    });

    it('allows 100 direct subgroups and no more', async () => {
      const parent = await createGroup(v3, uniqueName('hundred'));
      await insertGroups(server.service.storage.db, seedRows(scope, 99, `kid_${seq}_`, { groupId: parent, depth: 1 }));
      const hundredth = await createGroup(v2, uniqueName('kid_last'), { superGroupId: parent });
      expectBusiness(
        await v2.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('kid_over'), superGroupId: parent })),
        'iot.group.GroupCountExceedMax',
      );
      const page = await v2.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: parent, pageSize: 200 }));
      expect(page.body.total).toBe(100);
      expect(page.body.data?.groupInfo).toHaveLength(100);
      expect(page.body.data?.groupInfo?.[0]?.groupId).toBe(hundredth); // newest first
      // The limit is per parent: a sibling top-level group and a grandchild are still fine.
      await createGroup(v2, uniqueName('sibling'));
      await createGroup(v2, uniqueName('grandkid'), { superGroupId: hundredth });
    });

    it('allows 1,000 groups per account, counted across its instances, and no more', async () => {
      const { services } = server.service;
      const created = await services.accounts.createAccount('thousand');
      const key = { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret };
      const bigScope = await scopeOf(server, key);
      await services.accounts.createInstance(created.accountId, 'iot-second');
      const secondScope = (await services.accounts.resolveScope(created.accountId, 'iot-second'))!;
      const db = server.service.storage.db;
      await insertGroups(db, seedRows(bigScope, 998, 'bulk_'));
      await insertGroups(db, seedRows(secondScope, 1, 'elsewhere_'));
      const client = sdkClient(server.endpoint, key, 'v3');

      const last = await createGroup(client, 'the_thousandth');
      expectBusiness(await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'one_too_many' })), 'iot.group.GroupCountExceedMax');
      expectBusiness(
        await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'one_too_many', iotInstanceId: 'iot-second' })),
        'iot.group.GroupCountExceedMax',
      );
      expectBusiness(
        await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'one_too_many', superGroupId: last })),
        'iot.group.GroupCountExceedMax',
      );
      // Other accounts are not affected.
      await createGroup(v3, uniqueName('unaffected'));

      // Paging through 999 groups of the default instance: page size up to 200, newest first.
      const p1Res = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage: 1, pageSize: 200 }));
      expect(p1Res.body).toMatchObject({ currentPage: 1, pageSize: 200, total: 999, pageCount: 5 });
      expect(p1Res.body.data?.groupInfo).toHaveLength(200);
      expect(p1Res.body.data?.groupInfo?.[0]?.groupName).toBe('the_thousandth');
      const p5 = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage: 5, pageSize: 200 }));
      expect(p5.body.data?.groupInfo).toHaveLength(199);
      expect(p5.body.data?.groupInfo?.at(-1)?.groupName).toBe('bulk_0');
      const seen = new Set<string>();
      for (let page = 1; page <= 5; page++) {
        const res = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage: page, pageSize: 200 }));
        for (const g of res.body.data!.groupInfo!) seen.add(g.groupId!);
      }
      expect(seen.size).toBe(999);
      const elsewhere = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ iotInstanceId: 'iot-second' }));
      expect(elsewhere.body.data?.groupInfo?.map((g) => g.groupName)).toEqual(['elsewhere_0']);

      // Deleting one frees a place.
      expect((await client.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: last }))).body.success).toBe(true);
      await createGroup(client, 'back_to_thousand');
    });

    it('pages QueryDeviceGroupList newest first and filters by exact GroupName and GroupTypes', async () => {
      const created = await server.service.services.accounts.createAccount('pager');
      const client = sdkClient(server.endpoint, { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret }, 'v2');
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        ids.push(await createGroup(client, `page_grp_${i}`));
        await pause(3);
      }
      const newestFirst = [...ids].reverse();
      const pageOf = async (currentPage?: number, pageSize?: number) =>
        (await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage, pageSize }))).body;

      const defaults = await pageOf();
      expect(defaults).toMatchObject({ success: true, currentPage: 1, pageSize: 10, pageCount: 1, total: 5 });
      expect(defaults.data?.groupInfo?.map((g) => g.groupId)).toEqual(newestFirst);
      const first = await pageOf(1, 2);
      expect(first).toMatchObject({ currentPage: 1, pageSize: 2, pageCount: 3, total: 5 });
      expect(first.data?.groupInfo?.map((g) => g.groupId)).toEqual(newestFirst.slice(0, 2));
      expect((await pageOf(2, 2)).data?.groupInfo?.map((g) => g.groupId)).toEqual(newestFirst.slice(2, 4));
      expect((await pageOf(3, 2)).data?.groupInfo?.map((g) => g.groupId)).toEqual(newestFirst.slice(4));
      const past = await pageOf(4, 2);
      expect(past).toMatchObject({ success: true, currentPage: 4, pageSize: 2, pageCount: 3, total: 5 });
      expect(past.data?.groupInfo).toEqual([]);

      for (const [page, size] of [
        [0, 10],
        [1, 0],
        [1, 201],
        [-1, 10],
      ] as const) {
        const res = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ currentPage: page, pageSize: size }));
        expectBusiness(res, 'iot.common.InvalidPageParams');
      }

      const byName = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupName: 'page_grp_3' }));
      expect(byName.body.data?.groupInfo?.map((g) => g.groupId)).toEqual([ids[2]]);
      const fuzzy = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupName: 'page_grp' }));
      expect(fuzzy.body).toMatchObject({ success: true, total: 0, pageCount: 0 });
      expect(fuzzy.body.data?.groupInfo).toEqual([]);

      const dynamic = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupTypes: ['LINK_PLATFORM_DYNAMIC'] }));
      expect(dynamic.body).toMatchObject({ success: true, total: 0 });
      expect(dynamic.body.data?.groupInfo).toEqual([]);
      const both = await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupTypes: ['LINK_PLATFORM_DYNAMIC', 'LINK_PLATFORM'] }));
      expect(both.body.total).toBe(5);
      await expectGateway(
        client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ groupTypes: ['LINK_PLATFORM', 'LINK_PLATFORM_DYNAMIC', 'X'] })),
        'InvalidParameter',
      );
    });

    it('counts BatchAddDeviceGroupRelations and BatchDeleteDeviceGroupRelations entries, devices of several products', async () => {
      const groupId = await createGroup(v3, uniqueName('members'));
      const iotIds = new Map<string, string>();
      for (const name of ['rel-a1', 'rel-a2', 'rel-a3', 'rel-a4']) iotIds.set(name, (await register(p1.key, name)).iotId);
      const b1 = await register(p2.key, 'rel-b1');

      const first = await v3.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({
          groupId,
          device: [
            device(p1.key, 'rel-a1'),
            device(p1.key, 'rel-a2'),
            device(p2.key, 'rel-b1'),
            device(p1.key, 'rel-a1'), // named twice: counts once
            device(p1.key, 'rel-none'), // unknown device
            device('a1NoSuchProd', 'rel-a1'), // unknown product
            device(p1.key, 'x'), // malformed name
            device(otherProductKey, 'other-dev-1'), // another account's device
            new iot.BatchAddDeviceGroupRelationsRequestDevice({ productKey: p1.key }), // no DeviceName
          ],
        }),
      );
      expect(first.body).toMatchObject({
        success: true,
        validDeviceCount: 3,
        successAddedDeviceCount: 3,
        alreadyRelatedGroupDeviceCount: 0,
        exceedTenGroupDeviceCount: 0,
      });
      await pause(3);
      const second = await v2.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'rel-a1'), device(p1.key, 'rel-a3'), device(p1.key, 'rel-a3')] }),
      );
      expect(second.body).toMatchObject({ validDeviceCount: 2, successAddedDeviceCount: 1, alreadyRelatedGroupDeviceCount: 1, exceedTenGroupDeviceCount: 0 });
      const nothing = await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'rel-none')] }));
      expect(nothing.body).toMatchObject({ success: true, validDeviceCount: 0, successAddedDeviceCount: 0, alreadyRelatedGroupDeviceCount: 0, exceedTenGroupDeviceCount: 0 });

      const info = await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }));
      expect(info.body.data?.deviceCount).toBe(4);

      const list = await v3.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId }));
      expect(list.body).toMatchObject({ success: true, page: 1, pageSize: 10, pageCount: 1, total: 4 });
      const members = list.body.data!.simpleDeviceInfo!;
      // Joined last, listed first.
      expect(members[0]).toEqual({ iotId: iotIds.get('rel-a3'), productKey: p1.key, productName: p1.name, deviceName: 'rel-a3' });
      expect(members.map((m) => m.deviceName).sort()).toEqual(['rel-a1', 'rel-a2', 'rel-a3', 'rel-b1']);
      expect(members.find((m) => m.deviceName === 'rel-b1')).toEqual({ iotId: b1.iotId, productKey: p2.key, productName: p2.name, deviceName: 'rel-b1' });
      for (const m of members) expect(m.iotId).toMatch(/^[A-Za-z0-9]{20}000100$/);

      const firstPage = await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, currentPage: 1, pageSize: 3 }));
      expect(firstPage.body).toMatchObject({ page: 1, pageSize: 3, pageCount: 2, total: 4 });
      expect(firstPage.body.data?.simpleDeviceInfo?.[0]?.deviceName).toBe('rel-a3'); // joined last, listed first
      const secondPage = await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, currentPage: 2, pageSize: 3 }));
      expect(secondPage.body.data?.simpleDeviceInfo).toHaveLength(1);
      const allNames = [...firstPage.body.data!.simpleDeviceInfo!, ...secondPage.body.data!.simpleDeviceInfo!].map((m) => m.deviceName).sort();
      expect(allNames).toEqual(['rel-a1', 'rel-a2', 'rel-a3', 'rel-b1']);
      const beyond = await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, currentPage: 3, pageSize: 3 }));
      expect(beyond.body).toMatchObject({ success: true, page: 3, total: 4 });
      expect(beyond.body.data?.simpleDeviceInfo).toEqual([]);
      expect((await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, pageSize: 200 }))).body.success).toBe(true);
      expectBusiness(
        await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, pageSize: 201 })),
        'iot.common.InvalidPageParams',
      );
      expectBusiness(
        await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId, currentPage: 0 })),
        'iot.common.InvalidPageParams',
      );

      const removed = await v3.batchDeleteDeviceGroupRelations(
        new iot.BatchDeleteDeviceGroupRelationsRequest({
          groupId,
          device: [
            device(p1.key, 'rel-a1'),
            device(p1.key, 'rel-a1'),
            device(p2.key, 'rel-b1'),
            device(p1.key, 'rel-a4'), // exists, not a member
            device(p1.key, 'rel-none'),
          ],
        }),
      );
      expect(removed.body).toMatchObject({ success: true, validDeviceCount: 3, alreadyRelatedGroupDeviceCount: 2, successDeviceCount: 2 });
      const again = await v3.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'rel-a1')] }));
      expect(again.body).toMatchObject({ success: true, validDeviceCount: 1, alreadyRelatedGroupDeviceCount: 0, successDeviceCount: 0 });
      const left = await v3.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId }));
      expect(left.body.data?.simpleDeviceInfo?.map((m) => m.deviceName).sort()).toEqual(['rel-a2', 'rel-a3']);
    });

    it('takes 1 to 200 entries per relation call', async () => {
      const groupId = await createGroup(v3, uniqueName('sizes'));
      const names = (n: number) => Array.from({ length: n }, (_, i) => device(p1.key, `size-dev-${i}`));
      for (const call of [
        (d?: ReturnType<typeof device>[]) => v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: d })),
        (d?: ReturnType<typeof device>[]) => v2.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId, device: d })),
      ]) {
        expectBusiness(await call(), 'iot.device.NoneDeviceNameElement');
        expectBusiness(await call([]), 'iot.device.NoneDeviceNameElement');
        expectBusiness(await call(names(201)), 'iot.device.TooManyDeviceNamesPerRequest');
        const ok = await call(names(200));
        expect(ok.body.success).toBe(true);
        expect(ok.body.validDeviceCount).toBe(0);
      }
      // 200 real devices in one call.
      const db = server.service.storage.db;
      const { devices } = server.service.services;
      const product = await server.service.services.products.requireProduct(scope, p2.key);
      const rows = Array.from({ length: 200 }, (_, i) => devices.newDeviceRow(scope, product.id, `bulk-dev-${i}`, null, Date.now()));
      await db.insertInto('device').values(rows).execute();
      const bulk = await v3.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: rows.map((r) => device(p2.key, r.device_name)) }),
      );
      expect(bulk.body).toMatchObject({ validDeviceCount: 200, successAddedDeviceCount: 200 });
      const info = await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }));
      expect(info.body.data?.deviceCount).toBe(200);
      const removed = await v3.batchDeleteDeviceGroupRelations(
        new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId, device: rows.map((r) => device(p2.key, r.device_name)) }),
      );
      expect(removed.body).toMatchObject({ validDeviceCount: 200, alreadyRelatedGroupDeviceCount: 200, successDeviceCount: 200 });
    });

    it('keeps a device in at most 10 groups', async () => {
      await register(p1.key, 'ten-dev-x');
      await register(p2.key, 'ten-dev-y');
      const groups: string[] = [];
      for (let i = 0; i < 11; i++) groups.push(await createGroup(v3, uniqueName(`ten_${i}`)));
      for (const groupId of groups.slice(0, 10)) {
        const res = await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'ten-dev-x')] }));
        expect(res.body.successAddedDeviceCount).toBe(1);
      }
      const eleventh = groups[10]!;
      const refused = await v2.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({ groupId: eleventh, device: [device(p1.key, 'ten-dev-x'), device(p2.key, 'ten-dev-y')] }),
      );
      expect(refused.body).toMatchObject({
        success: true,
        validDeviceCount: 2,
        successAddedDeviceCount: 1,
        alreadyRelatedGroupDeviceCount: 0,
        exceedTenGroupDeviceCount: 1,
      });
      // Already a member comes before the 10-group check.
      const member = await v2.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: groups[0], device: [device(p1.key, 'ten-dev-x')] }));
      expect(member.body).toMatchObject({ validDeviceCount: 1, alreadyRelatedGroupDeviceCount: 1, exceedTenGroupDeviceCount: 0, successAddedDeviceCount: 0 });

      const byDevice = await v3.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p1.key, deviceName: 'ten-dev-x' }));
      expect(byDevice.body.groupInfos?.groupInfo?.map((g) => g.groupId).sort()).toEqual(groups.slice(0, 10).sort());

      await v3.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId: groups[0], device: [device(p1.key, 'ten-dev-x')] }));
      const nowFits = await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: eleventh, device: [device(p1.key, 'ten-dev-x')] }));
      expect(nowFits.body).toMatchObject({ validDeviceCount: 1, successAddedDeviceCount: 1, exceedTenGroupDeviceCount: 0 });
      // Deleting a group frees the device's place too.
      await v3.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId: groups[1] }));
      const extra = await createGroup(v3, uniqueName('ten_extra'));
      const fitsAgain = await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId: extra, device: [device(p1.key, 'ten-dev-x')] }));
      expect(fitsAgain.body.successAddedDeviceCount).toBe(1);
    });

    it('counts members, activated and online devices in QueryDeviceGroupInfo, and never deleted devices', async () => {
      const groupId = await createGroup(v3, uniqueName('counts'));
      const db = server.service.storage.db;
      const now = Date.now();
      const states = [
        ['cnt-unactive', 'UNACTIVE', null],
        ['cnt-online', 'ONLINE', now],
        ['cnt-offline', 'OFFLINE', now],
        ['cnt-disabled-used', 'DISABLE', now],
        ['cnt-disabled-new', 'DISABLE', null],
        ['cnt-deleted', 'ONLINE', now],
      ] as const;
      for (const [name, status, activatedAt] of states) {
        const d = await register(p1.key, name);
        await db.updateTable('device').set({ status, activated_at: activatedAt }).where('iot_id', '=', d.iotId).execute();
      }
      const add = await v3.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: states.map(([name]) => device(p1.key, name)) }),
      );
      expect(add.body.successAddedDeviceCount).toBe(6);
      await db.updateTable('device').set({ deleted_at: now }).where('device_name', '=', 'cnt-deleted').execute();

      const info = await v2.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }));
      expect(info.body.data).toMatchObject({ deviceCount: 5, deviceActive: 3, deviceOnline: 1 });
      const list = await v2.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId }));
      expect(list.body.total).toBe(5);
      expect(list.body.data?.simpleDeviceInfo?.map((m) => m.deviceName)).not.toContain('cnt-deleted');
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`answers QueryDeviceGroupByDevice with top-level GroupInfos.GroupInfo and §1.2 device errors (SDK ${mode})`, async () => {
        const client = mode === 'v3' ? v3 : v2;
        const dn = `by-dev-${mode}`;
        await register(p2.key, dn);
        const none = await client.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p2.key, deviceName: dn }));
        expect(none.body.success).toBe(true);
        expect(none.body.groupInfos).toEqual({ groupInfo: [] });

        const a = await createGroup(client, uniqueName(`by_a_${mode}`), { groupDesc: 'first' });
        await pause(3);
        const b = await createGroup(client, uniqueName(`by_b_${mode}`));
        for (const groupId of [a, b]) {
          await client.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(p2.key, dn)] }));
        }
        const infoA = (await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: a }))).body.data!;
        const infoB = (await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId: b }))).body.data!;
        const res = await client.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p2.key, deviceName: dn }));
        expect(res.body.success).toBe(true);
        expect(res.body.groupInfos?.groupInfo).toEqual([
          { groupId: b, groupName: infoB.groupName, groupType: 'LINK_PLATFORM', utcCreate: infoB.utcCreate },
          { groupId: a, groupName: infoA.groupName, groupDesc: 'first', groupType: 'LINK_PLATFORM', utcCreate: infoA.utcCreate },
        ]);

        const q = (productKey?: string, deviceName?: string) =>
          client.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey, deviceName }));
        await expectGateway(q(undefined, dn), 'MissingProductKey');
        await expectGateway(q(p2.key, undefined), 'MissingDeviceName');
        expectBusiness(await q('', dn), 'iot.prod.NullProductKey');
        expectBusiness(await q(p2.key, ''), 'iot.device.NullDeviceName');
        expectBusiness(await q('a1-bad!', dn), 'iot.prod.InvalidFormattedProductkey');
        expectBusiness(await q(p2.key, 'x'), 'iot.device.InvalidFormattedDeviceName');
        expectBusiness(await q('a1NoSuchProd', dn), 'iot.prod.NotExistedProduct');
        expectBusiness(await q(p2.key, 'no-such-device'), 'iot.device.NotExistedDevice');
      });
    }

    it("answers another account's group, device and product like missing ones", async () => {
      const groupId = await createGroup(v3, uniqueName('mine'));
      await register(p1.key, 'mine-dev-1');
      await v3.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'mine-dev-1')] }));
      const missing = 'iot.group.NotExistedGroup';
      expectBusiness(await other.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId })), missing);
      expectBusiness(await other.updateDeviceGroup(new iot.UpdateDeviceGroupRequest({ groupId, groupDesc: 'hijack' })), missing);
      expectBusiness(await other.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId })), missing);
      expectBusiness(await other.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId })), missing);
      expectBusiness(await other.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ superGroupId: groupId })), missing);
      expectBusiness(await other.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: uniqueName('sub'), superGroupId: groupId })), missing);
      expectBusiness(
        await other.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device: [device(otherProductKey, 'other-dev-1')] })),
        missing,
      );
      expectBusiness(
        await other.batchDeleteDeviceGroupRelations(new iot.BatchDeleteDeviceGroupRelationsRequest({ groupId, device: [device(p1.key, 'mine-dev-1')] })),
        missing,
      );
      expectBusiness(
        await other.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p1.key, deviceName: 'mine-dev-1' })),
        'iot.prod.NotExistedProduct',
      );
      // The same name is free in another account, and its own group cannot take our devices.
      const info = await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }));
      const theirs = await createGroup(other, info.body.data!.groupName!);
      const steal = await other.batchAddDeviceGroupRelations(
        new iot.BatchAddDeviceGroupRelationsRequest({ groupId: theirs, device: [device(p1.key, 'mine-dev-1'), device(otherProductKey, 'other-dev-1')] }),
      );
      expect(steal.body).toMatchObject({ validDeviceCount: 1, successAddedDeviceCount: 1 });
      const theirList = await other.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({ pageSize: 200 }));
      expect(theirList.body.data?.groupInfo?.map((g) => g.groupId)).not.toContain(groupId);
      // Nothing of ours changed.
      const after = await v3.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }));
      expect(after.body.data?.groupDesc).toBeUndefined();
      expect(after.body.data?.deviceCount).toBe(1);
      const ours = await v3.queryDeviceGroupByDevice(new iot.QueryDeviceGroupByDeviceRequest({ productKey: p1.key, deviceName: 'mine-dev-1' }));
      expect(ours.body.groupInfos?.groupInfo?.map((g) => g.groupId)).toEqual([groupId]);
    });

    it('answers POP GET and POST, lists as arrays even with one element', async () => {
      const name = uniqueName('pop');
      const created = (await pop.request('CreateDeviceGroup', { GroupName: name, GroupDesc: 'via pop' }, { method: 'POST' })) as any;
      const groupId = created.Data.GroupId as string;
      await register(p1.key, 'pop-dev-1');
      const added = (await pop.request(
        'BatchAddDeviceGroupRelations',
        { GroupId: groupId, 'Device.1.ProductKey': p1.key, 'Device.1.DeviceName': 'pop-dev-1', 'Device.2.ProductKey': p1.key, 'Device.2.DeviceName': 'pop-nope' },
        { method: 'POST' },
      )) as any;
      expect(added).toMatchObject({ Success: true, ValidDeviceCount: 1, SuccessAddedDeviceCount: 1, AlreadyRelatedGroupDeviceCount: 0, ExceedTenGroupDeviceCount: 0 });
      expect(Object.keys(added).sort()).toEqual(
        ['AlreadyRelatedGroupDeviceCount', 'ExceedTenGroupDeviceCount', 'RequestId', 'Success', 'SuccessAddedDeviceCount', 'ValidDeviceCount'].sort(),
      );

      const members = (await pop.request('QueryDeviceListByDeviceGroup', { GroupId: groupId })) as any;
      expect(Object.keys(members).sort()).toEqual(['Data', 'Page', 'PageCount', 'PageSize', 'RequestId', 'Success', 'Total']);
      expect(Array.isArray(members.Data.SimpleDeviceInfo)).toBe(true);
      expect(members.Data.SimpleDeviceInfo).toEqual([
        { IotId: expect.stringMatching(/000100$/), ProductKey: p1.key, ProductName: p1.name, DeviceName: 'pop-dev-1' },
      ]);

      const byDevice = (await pop.request('QueryDeviceGroupByDevice', { ProductKey: p1.key, DeviceName: 'pop-dev-1' }, { method: 'POST' })) as any;
      expect(Array.isArray(byDevice.GroupInfos.GroupInfo)).toBe(true);
      expect(byDevice.GroupInfos.GroupInfo).toHaveLength(1);
      expect(byDevice.GroupInfos.GroupInfo[0]).toMatchObject({ GroupId: groupId, GroupName: name, GroupDesc: 'via pop', GroupType: 'LINK_PLATFORM' });
      expect(byDevice).not.toHaveProperty('Data');

      const info = (await pop.request('QueryDeviceGroupInfo', { GroupId: groupId })) as any;
      expect(info.Data).toMatchObject({ DeviceCount: 1, DeviceActive: 0, DeviceOnline: 0 });
      expect(typeof info.Data.DeviceCount).toBe('number');

      const removed = (await pop.request(
        'BatchDeleteDeviceGroupRelations',
        { GroupId: groupId, 'Device.1.ProductKey': p1.key, 'Device.1.DeviceName': 'pop-dev-1' },
        { method: 'POST' },
      )) as any;
      expect(Object.keys(removed).sort()).toEqual(['AlreadyRelatedGroupDeviceCount', 'RequestId', 'Success', 'SuccessDeviceCount', 'ValidDeviceCount']);
      expect(removed).toMatchObject({ ValidDeviceCount: 1, AlreadyRelatedGroupDeviceCount: 1, SuccessDeviceCount: 1 });
      expect(await pop.request('DeleteDeviceGroup', { GroupId: groupId }, { method: 'POST' })).toMatchObject({ Success: true });
      await expect(pop.request('DeleteDeviceGroup', { GroupId: groupId }, { method: 'POST' })).rejects.toMatchObject({ code: 'iot.group.NotExistedGroup' });
    });

    it('declares the QPS of fleet-api §1.6', () => {
      const qps = Object.fromEntries(operations.map((o) => [o.action, o.qps]));
      expect({
        CreateDeviceGroup: qps.CreateDeviceGroup,
        UpdateDeviceGroup: qps.UpdateDeviceGroup,
        DeleteDeviceGroup: qps.DeleteDeviceGroup,
        QueryDeviceGroupList: qps.QueryDeviceGroupList,
        QueryDeviceGroupInfo: qps.QueryDeviceGroupInfo,
        BatchAddDeviceGroupRelations: qps.BatchAddDeviceGroupRelations,
        BatchDeleteDeviceGroupRelations: qps.BatchDeleteDeviceGroupRelations,
        QueryDeviceListByDeviceGroup: qps.QueryDeviceListByDeviceGroup,
        QueryDeviceGroupByDevice: qps.QueryDeviceGroupByDevice,
      }).toEqual({
        CreateDeviceGroup: 500,
        UpdateDeviceGroup: 50,
        DeleteDeviceGroup: 500,
        QueryDeviceGroupList: 100,
        QueryDeviceGroupInfo: 30,
        BatchAddDeviceGroupRelations: 500,
        BatchDeleteDeviceGroupRelations: 50,
        QueryDeviceListByDeviceGroup: 5,
        QueryDeviceGroupByDevice: 50,
      });
    });
  });

  describe(`device groups: rate limit and storage failures (${dialect})`, () => {
    let server: TestServer;
    const frozen = Date.now();
    beforeAll(async () => {
      // A clock that stands still: the token bucket never refills, so the count is exact.
      server = await startTestServer(dialect, { env: { FLOTILLA_RATE_LIMITS: 'on' }, clock: { now: () => frozen } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('throttles QueryDeviceListByDeviceGroup at 5 QPS per account', async () => {
      const client = sdkClient(server.endpoint, server.key, 'v3');
      const groupId = await (async () => {
        const res = await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'throttled' }));
        return res.body.data!.groupId!;
      })();
      for (let i = 0; i < 5; i++) {
        const res = await client.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId }));
        expect(res.body.success).toBe(true);
      }
      await expectGateway(client.queryDeviceListByDeviceGroup(new iot.QueryDeviceListByDeviceGroupRequest({ groupId })), 'Throttling.Api');
      // Another operation has its own budget.
      expect((await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }))).body.success).toBe(true);
    });

    it('answers the storage-failure codes of fleet-api §12 when the group table is unusable', async () => {
      const client = sdkClient(server.endpoint, server.key, 'v2');
      const created = await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'before_failure' }));
      const groupId = created.body.data!.groupId!;
      const db = server.service.storage.db;
      await db.schema.alterTable('device_group').renameTo('device_group_away').execute();
      try {
        expectBusiness(await client.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: 'during_failure' })), 'iot.group.CreateGroupFailed');
        expectBusiness(await client.deleteDeviceGroup(new iot.DeleteDeviceGroupRequest({ groupId })), 'iot.group.DeleteGroupFailed');
        expectBusiness(await client.queryDeviceGroupList(new iot.QueryDeviceGroupListRequest({})), 'iot.group.QueryGroupInfoFailed');
        expectBusiness(await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId })), 'iot.group.QueryGroupInfoFailed');
      } finally {
        await db.schema.alterTable('device_group_away').renameTo('device_group').execute();
      }
      expect((await client.queryDeviceGroupInfo(new iot.QueryDeviceGroupInfoRequest({ groupId }))).body.success).toBe(true);
    });
  });
}
