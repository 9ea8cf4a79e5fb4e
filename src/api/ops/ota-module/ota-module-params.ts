import { text } from '../../rpc/operation.js';

/** ota-api §5.1, §5.2: CreateOTAModule and UpdateOTAModule take the same parameters. */
export const otaModuleParams = {
  ProductKey: text(),
  ModuleName: text(),
  AliasName: text().optional(),
  Desc: text().optional(),
};

export function otaModuleFields(params: { ProductKey: string; ModuleName: string; AliasName?: string; Desc?: string }) {
  return { productKey: params.ProductKey, moduleName: params.ModuleName, aliasName: params.AliasName, desc: params.Desc };
}
