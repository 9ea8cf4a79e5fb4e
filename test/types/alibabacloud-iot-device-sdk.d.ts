/** The parts of the Node device SDK (CommonJS, untyped) that the tests use. */
declare module 'alibabacloud-iot-device-sdk' {
  import type { EventEmitter } from 'node:events';

  export interface SdkMqttClient extends EventEmitter {
    subscribe(topic: string, options: { qos: number }, callback?: (err: Error | null, granted: { topic: string; qos: number }[]) => void): void;
    end(force?: boolean, callback?: () => void): void;
    connected: boolean;
  }

  export interface Device extends EventEmitter {
    /** The SDK's mqtt@3 client. */
    _mqttClient: SdkMqttClient;
    subscribe(topic: string, options?: { qos: number }, callback?: (err: Error | null, granted: { topic: string; qos: number }[]) => void): void;
    publish(topic: string, message: string | Buffer, options?: { qos: number }, callback?: (err?: Error) => void): void;
    end(force?: boolean, callback?: () => void): void;
  }

  export interface DeviceConfig {
    productKey: string;
    deviceName: string;
    deviceSecret: string;
    brokerUrl?: string;
    signAlgorithm?: 'sha1' | 'sha256' | 'md5';
    keepalive?: number;
    clean?: boolean;
  }

  const iot: { device(config: DeviceConfig): Device; sdkver: string };
  export default iot;
}
