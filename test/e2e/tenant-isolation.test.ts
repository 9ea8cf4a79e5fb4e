import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../src/domain/account/account-service.js';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Foundation issue §3: a resource of another account answers exactly like one that does not exist — same
// code, same message, no difference in counts; IotInstanceId selects an instance of the caller's account
// only (an unknown one, or another account's, is iot.system.InstanceNotFound: ota-api §1.3, errors.md).

// Well-formed (fleet-api §2.1: "a1" + 9 characters) but never issued.
const NEVER_ISSUED = 'a1Zz9Yy8Xx7';

/** What a failure says, without its RequestId. */
function failureOf(body: { success?: boolean; code?: string; errorMessage?: string }) {
  return { success: body.success, code: body.code, errorMessage: body.errorMessage };
}

for (const dialect of testDialects()) {
  describe(`tenant isolation between accounts (${dialect})`, () => {
    let server: TestServer;
    let alice: CreatedAccount;
    let bob: CreatedAccount;
    const aliceKeys: string[] = [];
    let bobKey: string;

    const as = (who: CreatedAccount, mode: 'v3' | 'v2' = 'v3') => sdkClient(server.endpoint, who, mode);

    beforeAll(async () => {
      server = await startTestServer(dialect);
      alice = await server.service.services.accounts.createAccount('alice');
      bob = await server.service.services.accounts.createAccount('bob');
      for (const name of ['a_pumps', 'a_valves', 'a_meters']) {
        const res = await as(alice).createProduct(new iot.CreateProductRequest({ productName: name, nodeType: 0 }));
        expect(res.body.success).toBe(true);
        aliceKeys.push(res.body.productKey!);
      }
      // Bob may use the same product name: names are unique per instance, not globally.
      const res = await as(bob).createProduct(new iot.CreateProductRequest({ productName: 'a_pumps', nodeType: 0 }));
      expect(res.body.success, JSON.stringify(res.body)).toBe(true);
      bobKey = res.body.productKey!;
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('lists and counts only the caller’s own products', async () => {
      const a = await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 50 }));
      const b = await as(bob).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 50 }));
      expect(a.body.data?.total).toBe(3);
      expect(b.body.data?.total).toBe(1);
      expect(a.body.data?.list?.productInfo?.map((p) => p.productKey).sort()).toEqual([...aliceKeys].sort());
      expect(b.body.data?.list?.productInfo?.map((p) => p.productKey)).toEqual([bobKey]);
      // The bootstrap account of the test server sees neither.
      const boot = await sdkClient(server.endpoint, server.key).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 50 }));
      expect(boot.body.data?.total).toBe(0);
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`answers QueryProduct, UpdateProduct and DeleteProduct on another account’s ProductKey as on a never-issued one (${mode})`, async () => {
        const foreign = aliceKeys[0]!;
        const client = as(bob, mode);

        const queryForeign = await client.queryProduct(new iot.QueryProductRequest({ productKey: foreign }));
        const queryNever = await client.queryProduct(new iot.QueryProductRequest({ productKey: NEVER_ISSUED }));
        expect(failureOf(queryForeign.body)).toEqual({ success: false, code: 'iot.prod.NotExistedProduct', errorMessage: expect.any(String) });
        expect(failureOf(queryForeign.body)).toEqual(failureOf(queryNever.body));
        expect(Object.keys(queryForeign.body).sort()).toEqual(Object.keys(queryNever.body).sort());

        const updateForeign = await client.updateProduct(new iot.UpdateProductRequest({ productKey: foreign, productName: 'stolen' }));
        const updateNever = await client.updateProduct(new iot.UpdateProductRequest({ productKey: NEVER_ISSUED, productName: 'stolen' }));
        expect(failureOf(updateForeign.body).code).toBe('iot.prod.NotExistedProduct');
        expect(failureOf(updateForeign.body)).toEqual(failureOf(updateNever.body));

        const deleteForeign = await client.deleteProduct(new iot.DeleteProductRequest({ productKey: foreign }));
        const deleteNever = await client.deleteProduct(new iot.DeleteProductRequest({ productKey: NEVER_ISSUED }));
        expect(failureOf(deleteForeign.body).code).toBe('iot.prod.NotExistedProduct');
        expect(failureOf(deleteForeign.body)).toEqual(failureOf(deleteNever.body));

        // Nothing of Alice's changed.
        const mine = await as(alice).queryProduct(new iot.QueryProductRequest({ productKey: foreign }));
        expect(mine.body.success).toBe(true);
        expect(mine.body.data?.productName).toBe('a_pumps');
      });

      it(`answers RegisterDevice into another account’s product as into a never-issued one (${mode})`, async () => {
        const client = as(bob, mode);
        const foreign = await client.registerDevice(new iot.RegisterDeviceRequest({ productKey: aliceKeys[1]!, deviceName: `intruder_${mode}` }));
        const never = await client.registerDevice(new iot.RegisterDeviceRequest({ productKey: NEVER_ISSUED, deviceName: `intruder_${mode}` }));
        expect(failureOf(foreign.body).code).toBe('iot.prod.NotExistedProduct');
        expect(failureOf(foreign.body)).toEqual(failureOf(never.body));
        const count = await as(alice).queryProduct(new iot.QueryProductRequest({ productKey: aliceKeys[1]! }));
        expect(count.body.data?.deviceCount).toBe(0);
      });
    }

    it('answers iot.system.InstanceNotFound for an unknown IotInstanceId', async () => {
      const res = await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: 'iot-cn-nosuchinst' }));
      expect(res.body).toMatchObject({ success: false, code: 'iot.system.InstanceNotFound' });
      const create = await as(alice).createProduct(new iot.CreateProductRequest({ productName: 'nowhere', nodeType: 0, iotInstanceId: 'iot-cn-nosuchinst' }));
      expect(create.body).toMatchObject({ success: false, code: 'iot.system.InstanceNotFound' });
      await expect(
        popClient(server.url, alice).request('QueryProductList', { CurrentPage: 1, PageSize: 10, IotInstanceId: 'iot-cn-nosuchinst' }, { method: 'POST' }),
      ).rejects.toMatchObject({ code: 'iot.system.InstanceNotFound' });
    });

    it('answers iot.system.InstanceNotFound for another account’s instance id, exactly as for an unknown one', async () => {
      await server.service.services.accounts.createInstance(alice.accountId, 'iot-cn-alicenamed');
      for (const theirs of [alice.iotInstanceId, 'iot-cn-alicenamed']) {
        const list = await as(bob).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: theirs }));
        const unknown = await as(bob).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: 'iot-cn-nosuchinst' }));
        expect(failureOf(list.body)).toEqual({ success: false, code: 'iot.system.InstanceNotFound', errorMessage: expect.any(String) });
        expect(failureOf(list.body)).toEqual(failureOf(unknown.body));
        const query = await as(bob).queryProduct(new iot.QueryProductRequest({ productKey: aliceKeys[0]!, iotInstanceId: theirs }));
        expect(query.body).toMatchObject({ success: false, code: 'iot.system.InstanceNotFound' });
        const create = await as(bob).createProduct(new iot.CreateProductRequest({ productName: 'planted', nodeType: 0, iotInstanceId: theirs }));
        expect(create.body).toMatchObject({ success: false, code: 'iot.system.InstanceNotFound' });
      }
      // Alice's own ids select her instances; her default instance id is the same as no id at all.
      const own = await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: alice.iotInstanceId }));
      expect(own.body.data?.total).toBe(3);
      const named = await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: 'iot-cn-alicenamed' }));
      expect(named.body.data?.total).toBe(0);
      expect((await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 50 }))).body.data?.total).toBe(3);
    });

    it('lets two accounts hold instances with the same IotInstanceId without sharing anything', async () => {
      await server.service.services.accounts.createInstance(bob.accountId, 'iot-cn-alicenamed');
      const planted = await as(bob).createProduct(new iot.CreateProductRequest({ productName: 'bob_named', nodeType: 0, iotInstanceId: 'iot-cn-alicenamed' }));
      expect(planted.body.success).toBe(true);
      const aliceSees = await as(alice).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId: 'iot-cn-alicenamed' }));
      expect(aliceSees.body.data?.total).toBe(0);
      const aliceQuery = await as(alice).queryProduct(new iot.QueryProductRequest({ productKey: planted.body.productKey!, iotInstanceId: 'iot-cn-alicenamed' }));
      expect(aliceQuery.body).toMatchObject({ success: false, code: 'iot.prod.NotExistedProduct' });
    });
  });
}
