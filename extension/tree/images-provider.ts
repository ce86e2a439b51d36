// The Images view: images newest first, their layers, the files each layer changes.
// Rows are kept by id and updated in place, so expansions survive a refresh and a commit can
// reveal the new layer by its node.
import * as vscode from 'vscode';
import type { Helper } from '../client/helper';
import type { ChangesCache } from '../diff/changes';
import { ImageNode } from './image-node';
import type { LayerNode } from './layer-node';
import { RowsProvider } from './rows-provider';
import type { ImageSummary } from '../../helper/protocol';

export class ImagesProvider extends RowsProvider<ImageNode, ImageSummary> {
  constructor(private readonly helper: Helper, private readonly changes: ChangesCache) {
    super();
  }

  protected async list(): Promise<ImageSummary[] | undefined> {
    const client = await this.helper.clientForView();
    return client ? client.request('images.list', {}) : undefined;
  }

  protected makeRow(summary: ImageSummary): ImageNode {
    return new ImageNode(summary, this.helper, this.changes);
  }

  protected override loaded(rows: ImageNode[]): void {
    void vscode.commands.executeCommand('setContext', 'strata.noImages', rows.length === 0);
  }

  /** The image rows, listed once per refresh. */
  images(): Promise<ImageNode[]> {
    return this.rows();
  }

  /** The image row, after a fresh listing (for reveal after import or commit). */
  async findImage(imageId: string): Promise<ImageNode | undefined> {
    this.refresh();
    return (await this.images()).find((n) => n.imageId === imageId);
  }

  async findLayer(imageId: string, layerId: string): Promise<LayerNode | undefined> {
    return (await this.findImage(imageId))?.findLayer(layerId);
  }
}
