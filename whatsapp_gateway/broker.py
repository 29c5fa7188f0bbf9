"""The zero-setup stack's serverless broker: kombu's filesystem transport, each message published whole.

kombu creates a message's file and then writes into it, while consumers poll the folder every 50 ms (the
settings): one that takes the file in between reads an empty message, and its worker stops with an
"Unrecoverable error". Here a message is written under a name no consumer matches and then renamed into
place, which is atomic. celery_app.py makes `filesystem://` mean this transport.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # kombu's naming: consumers sort by it
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")  # no queue's pattern matches it
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
